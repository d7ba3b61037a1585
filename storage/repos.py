"""The repositories over one database, bundled for the services."""

from __future__ import annotations

from collections.abc import Sequence

from storage.access import Access
from storage.attachments import AttachmentRepo
from storage.checkins import CheckinRepo
from storage.contacts import ContactRepo
from storage.db import Database
from storage.departments import DepartmentRepo
from storage.digests import DigestRepo
from storage.escalations import EscalationRepo
from storage.events import EventRepo
from storage.explanations import ExplanationRepo
from storage.exports import ExportRepo
from storage.groups import GroupRepo
from storage.handovers import HandoverRepo
from storage.imports import ImportRepo
from storage.investments import InvestmentRepo
from storage.invites import InviteRepo
from storage.members import MemberRepo
from storage.outbox import OutboxRepo
from storage.pack import PackRepo
from storage.pending import PendingRepo
from storage.people import AdminRepo, PersonRepo
from storage.plans import PlanRepo
from storage.problems import ProblemRepo
from storage.projects import ProjectRepo
from storage.rounds import RoundRepo
from storage.schedules import ScheduleRepo
from storage.summaries import SummaryRepo
from storage.web import WebSessionRepo
from storage.web_board import WebBoardRepo


class Repositories:
    """All repositories over one database, handed to the services."""

    def __init__(self, db: Database, config_admins: Sequence[int] = ()) -> None:
        self.db = db
        access = Access(config_admins)
        self.projects = ProjectRepo(db, access)
        self.people = PersonRepo(db, access)
        self.members = MemberRepo(db, access)
        self.admins = AdminRepo(db, access)
        self.invites = InviteRepo(db, access)
        self.groups = GroupRepo(db, access)
        self.events = EventRepo(db)
        self.outbox = OutboxRepo(db)
        self.pending = PendingRepo(db)
        self.schedules = ScheduleRepo(db, access)
        self.rounds = RoundRepo(db, access)
        self.checkins = CheckinRepo(db, access)
        self.problems = ProblemRepo(db, access)
        self.escalations = EscalationRepo(db)
        self.attachments = AttachmentRepo(db)
        self.contacts = ContactRepo(db, access)
        self.summaries = SummaryRepo(db, access)
        self.exports = ExportRepo(db)
        self.digests = DigestRepo(db, access)
        self.departments = DepartmentRepo(db, access)
        self.handovers = HandoverRepo(db, access)
        self.plans = PlanRepo(db, access)
        self.investments = InvestmentRepo(db, access)
        self.explanations = ExplanationRepo(db, access)
        self.imports = ImportRepo(db, access)
        self.pack = PackRepo(db)
        self.web_sessions = WebSessionRepo(db)
        self.web_board = WebBoardRepo(db)
