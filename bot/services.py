"""The bundle of services handed to handlers through ``bot_data``, and how it is built."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.backup import BackupService
from bot.board import BoardService
from bot.checkins.answers import AnswerService
from bot.checkins.early import EarlyCheckin
from bot.checkins.files import AnswerFiles
from bot.checkins.prompts import PromptRenderer
from bot.checkins.rounds import RoundService
from bot.checkins.schedules import ScheduleService
from bot.checkins.summaries import SummaryService
from bot.clock import Clock
from bot.config import Settings
from bot.contacts import ContactService
from bot.conversation import Conversation
from bot.departments.chasing import DepartmentChasing
from bot.departments.handover import HandoverService
from bot.departments.service import DepartmentService
from bot.departments.sitin import SitinService
from bot.departments.work import DepartmentWork
from bot.digest import DigestService
from bot.export import ExportService
from bot.export_files import ExportFiles
from bot.ledger.cards import CardRenderer
from bot.ledger.decisions import Decisions
from bot.ledger.escalation import EscalationService
from bot.ledger.inputs import LedgerInputs
from bot.ledger.meeting import MeetingDecisions
from bot.ledger.presses import CardPresses
from bot.ledger.service import LedgerService
from bot.membership import MembershipService
from bot.metrics import Metrics
from bot.notice import NoticeDecisions
from bot.notifier import Notifier
from bot.outbox import OutboxSender
from bot.outbox_documents import OutboxDocuments
from bot.pack import PackService
from bot.plans.explain import ExplainService
from bot.plans.importing import ImportService
from bot.plans.investment import InvestmentService
from bot.plans.milestones import MilestoneService
from bot.plans.quarterly import QuarterlyBoard
from bot.plans.service import PlanService
from bot.projects import ProjectService
from bot.registry import Registry
from bot.turns import ChatTurns
from bot.web.access import WebAccess
from bot.web.board import WebBoard
from bot.web.ledger import WebLedger
from storage.repos import Repositories


async def _no_menu(user_id: int) -> None:
    """Default before the application is wired: nothing to publish."""


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    repos: Repositories
    registry: Registry
    projects: ProjectService
    conversation: Conversation
    outbox: OutboxSender
    schedules: ScheduleService
    rounds: RoundService
    answers: AnswerService
    early: EarlyCheckin
    answer_files: AnswerFiles
    contacts: ContactService
    summaries: SummaryService
    exports: ExportService
    board: BoardService
    digest: DigestService
    notices: NoticeDecisions
    ledger: LedgerService
    decisions: Decisions
    presses: CardPresses
    escalation: EscalationService
    departments: DepartmentService
    handovers: HandoverService
    work: DepartmentWork
    chasing: DepartmentChasing
    sitins: SitinService
    plans: PlanService
    milestones: MilestoneService
    investment: InvestmentService
    explain: ExplainService
    imports: ImportService
    meeting: MeetingDecisions
    pack: PackService
    export_files: ExportFiles
    quarterly: QuarterlyBoard
    web_access: WebAccess
    web_board: WebBoard
    web_ledger: WebLedger
    metrics: Metrics | None = None
    membership: MembershipService | None = None
    # Daily backups into BACKUP_DIR; None when it is not set.
    backups: BackupService | None = None
    # A chat's updates in order across replicas; None on SQLite (one process).
    turns: ChatTurns | None = None
    bot_username: str = ""
    # Republishes one user's command menu; set by the composition root (it needs telegram).
    publish_menu: Callable[[int], Awaitable[None]] = _no_menu


def build_services(
    settings: Settings,
    repos: Repositories,
    clock: Clock,
    notifier: Notifier,
    metrics: Metrics | None = None,
) -> Services:
    """Every service, wired to the others it needs; nothing here talks to Telegram."""
    registry = Registry(
        repos,
        clock,
        default_language=settings.default_language,
        pending_ttl=settings.pending_input_ttl,
    )
    projects = ProjectService(
        repos,
        registry,
        clock,
        default_timezone=settings.default_timezone,
        invite_ttl=settings.invite_ttl,
    )
    conversation = Conversation(repos.pending, clock, settings.pending_input_ttl)
    outbox = OutboxSender(
        repos.outbox,
        repos.groups,
        notifier,
        clock,
        on_recipient_gone=registry.mark_unreachable,
        instead=registry.deliver_instead,
        metrics=metrics,
        per_second=settings.rate_limit_per_second,
    )
    cards = CardRenderer(clock, max_extensions=settings.max_extensions)
    ledger = LedgerService(
        repos,
        registry,
        projects,
        conversation,
        clock,
        cards,
        deadline_default=settings.problem_deadline_default,
    )
    ledger.announcer.to = settings.new_problem_to
    decisions = Decisions(
        repos,
        registry,
        projects,
        ledger,
        clock,
        confirm_resolve=settings.resolve_confirmation,
        max_extensions=settings.max_extensions,
    )
    inputs = LedgerInputs(ledger, decisions, conversation)
    contacts = ContactService(repos, registry, projects, clock, conversation)
    schedules = ScheduleService(repos, projects, clock)
    prompts = PromptRenderer(repos, registry, clock)
    summaries = SummaryService(repos, registry, projects, clock)
    rounds = RoundService(
        repos,
        registry,
        projects,
        clock,
        schedules,
        prompts,
        remind_after=settings.checkin_remind_after,
        reminders_max=settings.checkin_reminders_max,
        catchup_grace=settings.catchup_grace,
        quiet=settings.quiet_hours,
        summaries=summaries,
    )
    departments = DepartmentService(repos, registry, projects, clock)
    handovers = HandoverService(
        repos,
        registry,
        departments,
        ledger,
        decisions,
        schedules,
        clock,
        deadline_default=settings.dept_deadline_default,
        sign_within=settings.dept_sign_within,
        work_hours=settings.work_hours,
    )
    work = DepartmentWork(
        repos, registry, departments, handovers, ledger, decisions, conversation, clock
    )
    inputs.departments = work
    plans = PlanService(repos, projects, clock)
    investment = InvestmentService(repos, registry, projects, conversation, clock)
    explain = ExplainService(
        repos,
        registry,
        conversation,
        clock,
        stall_after=settings.stall_after,
        explain_within=settings.explain_within,
        quiet=settings.quiet_hours,
    )
    meeting = MeetingDecisions(
        repos,
        registry,
        ledger,
        decisions,
        handovers,
        clock,
        conversation,
        timezone=settings.default_timezone,
    )
    milestones = MilestoneService(repos, registry, projects, plans, clock, conversation)
    inputs.others = {"investment": investment.take, "explain": explain.take, "decide": meeting.take}
    inputs.file_inputs = {"milestone_photo": milestones.take}
    digest = DigestService(
        repos,
        registry,
        projects,
        clock,
        schedule=settings.digest_schedule,
        approval=settings.notice_approval,
    )
    digest.department_figures = departments.figures
    exports = ExportService(repos, registry, projects, clock)
    exports.department_figures = departments.figures
    board = BoardService(repos, registry, projects, clock)
    board.department_figures = departments.figures
    board.weights = dict(settings.board_weights)
    presses = CardPresses(repos, ledger, decisions, inputs, conversation, clock)
    presses.handovers = handovers
    notices = NoticeDecisions(repos, clock)
    pack = PackService(repos, registry, clock, timezone=settings.default_timezone)
    quarterly = QuarterlyBoard(
        repos, registry, clock, schedules.calendar, timezone=settings.default_timezone
    )
    quarterly.weights = dict(settings.board_weights)
    outbox.documents = OutboxDocuments(notices, pack, quarterly)
    return Services(
        settings=settings,
        clock=clock,
        repos=repos,
        registry=registry,
        projects=projects,
        conversation=conversation,
        outbox=outbox,
        schedules=schedules,
        rounds=rounds,
        answers=AnswerService(
            repos, clock, conversation, schedules, prompts, ledger, inputs, contacts
        ),
        early=EarlyCheckin(repos, clock, schedules, prompts),
        answer_files=AnswerFiles(repos, clock, ledger),
        contacts=contacts,
        summaries=summaries,
        exports=exports,
        board=board,
        metrics=metrics,
        membership=MembershipService(repos, registry, clock, timezone=settings.default_timezone),
        backups=BackupService(repos.db, clock, settings.backup_dir, settings.backup_keep)
        if settings.backup_dir is not None
        else None,
        digest=digest,
        notices=notices,
        ledger=ledger,
        decisions=decisions,
        presses=presses,
        escalation=EscalationService(
            repos,
            registry,
            clock,
            cards,
            level2_after=settings.escalate_l2_after,
            quiet=settings.quiet_hours,
            metrics=metrics,
        ),
        departments=departments,
        handovers=handovers,
        work=work,
        plans=plans,
        milestones=milestones,
        investment=investment,
        explain=explain,
        imports=ImportService(repos, registry, clock, timezone=settings.default_timezone),
        pack=pack,
        meeting=meeting,
        chasing=DepartmentChasing(
            repos,
            registry,
            handovers,
            clock,
            level2_after=settings.escalate_l2_after,
            quiet=settings.quiet_hours,
        ),
        sitins=SitinService(
            repos,
            registry,
            departments,
            schedules,
            clock,
            timezone=settings.default_timezone,
            work_hours=settings.work_hours,
            office=settings.office_location,
        ),
        export_files=ExportFiles(repos, projects, clock),
        quarterly=quarterly,
        web_access=WebAccess(
            repos,
            registry,
            clock,
            settings.bot_token.get_secret_value(),
            auth_max_age=settings.webapp_auth_max_age,
            session_ttl=settings.web_session_ttl,
        ),
        web_board=WebBoard(repos, clock, settings.default_timezone, digest.report),
        web_ledger=WebLedger(repos, clock, ledger, decisions, cards),
        turns=ChatTurns(turns) if (turns := repos.db.update_turns()) is not None else None,
    )
