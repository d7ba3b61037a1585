// The board: a Telegram Mini App inside Telegram, the same page in a browser (a session
// cookie from /web's one-time link). No framework, nothing from elsewhere; every text from the
// server goes in as text, never as HTML.
"use strict";

const TEXTS = {
  "zh-CN": {
    board: "看板", problems: "台帐", notices: "通报", title: "项目看板", all: "全部",
    line: "工作线", locality: "属地", stage: "阶段", progress: "形象进度", investment: "年度投资完成",
    reporting: "本周报送", unresolved: "未销号", overdue: "逾期", light: "状态",
    red: "红灯", amber: "黄灯", green: "绿灯", sort: "排序", by_light: "按状态", by_name: "按名称",
    by_progress: "按形象进度", by_overdue: "按逾期", none: "暂无", people: "人员", plan: "计划",
    milestones: "节点", reports: "近两周报送", ledger: "帮办台帐", search: "搜索问题…",
    status: "状态", st_unresolved: "未销号", st_open: "待签收/办理中", st_awaiting: "待确认销号",
    st_resolved: "已销号", st_all: "全部", only_overdue: "仅逾期", project: "项目", department: "职能部门",
    deadline: "时限", reporter: "反映人", coordination: "需协调事项", proposal: "拟解决办法",
    history: "办理记录", acknowledge: "签收", confirm: "确认销号", "send-back": "退回重办",
    extend: "延期", reason: "理由", days: "天数", total: "共 {n} 条", prev: "上一页",
    next: "下一页", unauthorized: "登录已失效：请从机器人的“看板”按钮重新打开，或发送 /web 获取登录链接。",
    expired: "登录链接已使用或已过期，请在机器人中重新发送 /web。",
    failed: "加载失败，请稍后重试。", back: "返回", total_investment: "总投资（万元）",
    year_investment: "年度计划投资（万元）", planned_start: "计划开工", planned_completion: "计划竣工",
    year_target: "年度目标", done: "已完成", pending: "未到期", late: "已逾期", no_projects: "没有可查看的项目。",
    published: "发布于", digests: "每周调度", digest: "周报", all_ok: "无异常", summary: "共 {n} 个项目：红灯 {red}，黄灯 {amber}，绿灯 {green}；逾期问题 {overdue} 个", missed: "未报送", on_leave: "请假", generated: "数据时间",
  },
  en: {
    board: "Board", problems: "Ledger", notices: "Notices", title: "Projects", all: "All",
    line: "Work line", locality: "Locality", stage: "Stage", progress: "Progress (形象进度)",
    investment: "Investment this year", reporting: "Reporting this week", unresolved: "Open",
    overdue: "Overdue", light: "Status", red: "Red", amber: "Amber", green: "Green", sort: "Sort",
    by_light: "By status", by_name: "By name", by_progress: "By progress", by_overdue: "By overdue",
    none: "None", people: "People", plan: "Plan", milestones: "Milestones",
    reports: "Reports, last two weeks", ledger: "Problem ledger", search: "Search problems…",
    status: "Status", st_unresolved: "Not crossed off", st_open: "Open / in progress",
    st_awaiting: "Awaiting confirmation", st_resolved: "Crossed off", st_all: "All",
    only_overdue: "Overdue only", department: "Department", project: "Project", deadline: "Deadline", reporter: "Reported by",
    coordination: "Coordination needed", proposal: "Proposed solution", history: "History",
    acknowledge: "Acknowledge", confirm: "Confirm 销号", "send-back": "Send back", extend: "Extend",
    reason: "Reason", days: "Days", total: "{n} in all", prev: "Previous", next: "Next",
    unauthorized: "Signed out: open the board again from the bot's Board button, or send /web for a sign-in link.",
    expired: "This sign-in link was used or has expired; send /web to the bot again.",
    failed: "Could not load; try again later.", back: "Back", total_investment: "Total investment (10k yuan)",
    year_investment: "This year's plan (10k yuan)", planned_start: "Planned start",
    planned_completion: "Planned completion", year_target: "Target of the year", done: "Done",
    pending: "Not due", late: "Overdue", no_projects: "No projects to show.", published: "Published", digests: "Weekly dispatch digests", digest: "Digest",
    all_ok: "All well", summary: "{n} projects: {red} red, {amber} amber, {green} green; {overdue} problems overdue", missed: "Missed", on_leave: "On leave", generated: "As of",
  },
};

const state = { lang: "zh-CN", initData: "", me: null, filters: { line: "", locality: "", light: "", sort: "light" } };

function tr(key, params) {
  const texts = TEXTS[state.lang] || TEXTS["zh-CN"];
  let text = texts[key] || TEXTS["zh-CN"][key] || key;
  for (const [name, value] of Object.entries(params || {})) text = text.replace(`{${name}}`, value);
  return text;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Telegram opens the page with #tgWebAppData=…&tgWebAppThemeParams=…; kept for this tab only,
// since the page's own routes use the fragment afterwards.
function readLaunchParams() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const data = hash.get("tgWebAppData");
  if (data) {
    sessionStorage.setItem("tgWebAppData", data);
    const theme = hash.get("tgWebAppThemeParams");
    if (theme) sessionStorage.setItem("tgWebAppThemeParams", theme);
    history.replaceState(null, "", location.pathname + location.search + "#/");
  }
  state.initData = sessionStorage.getItem("tgWebAppData") || "";
  applyTheme(sessionStorage.getItem("tgWebAppThemeParams"));
}

function applyTheme(raw) {
  if (!raw) return;
  let theme;
  try { theme = JSON.parse(raw); } catch (error) { return; }
  const map = {
    bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
    button_color: "--button", button_text_color: "--button-text", secondary_bg_color: "--card",
  };
  for (const [name, variable] of Object.entries(map)) {
    if (typeof theme[name] === "string" && /^#[0-9a-fA-F]{3,8}$/.test(theme[name])) {
      document.documentElement.style.setProperty(variable, theme[name]);
    }
  }
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options) {
  const headers = { Accept: "application/json" };
  if (state.initData) headers.Authorization = `tma ${state.initData}`;
  const init = { credentials: "same-origin", headers };
  if (options && options.body !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (!response.ok) throw new ApiError(response.status, (data && data.message) || tr("failed"));
  return data;
}

async function photo(id) {
  const headers = state.initData ? { Authorization: `tma ${state.initData}` } : {};
  const img = el("img", { alt: "", loading: "lazy" });
  fetch(`/api/photos/${id}`, { credentials: "same-origin", headers })
    .then((r) => (r.ok ? r.blob() : null))
    .then((blob) => { if (blob) img.src = URL.createObjectURL(blob); });
  return img;
}

function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.flat().filter((node) => node !== null && node !== undefined && node !== false));
  document.body.dataset.ready = "1";
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) {
    show(el("p", { class: "error", id: "signed-out" }, tr("unauthorized")));
  } else {
    show(el("p", { class: "error" }, error.message || tr("failed")));
  }
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

function bar(value) {
  const fill = el("span");
  fill.style.width = `${Math.round((value || 0) * 100)}%`;
  return el("div", { class: "bar", role: "img", "aria-label": percent(value) }, fill);
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]).flat());
}

function select(id, options, value, onchange) {
  return el("select", { id, onchange: (e) => onchange(e.target.value) },
    options.map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
}

// --- the board ---------------------------------------------------------------------------

const LIGHT_ORDER = { red: 0, amber: 1, green: 2 };

async function boardPage() {
  const data = await api("/api/projects");
  const rows = data.projects;
  const f = state.filters;
  const distinct = (key) => [...new Set(rows.map((r) => r[key]).filter(Boolean))].sort();
  const redraw = () => boardPage().catch(showError);
  const set = (key) => (value) => { f[key] = value; redraw(); };
  const tools = el("div", { class: "tools" },
    select("filter-line", [["", `${tr("line")}: ${tr("all")}`], ...distinct("work_line").map((v) => [v, v])], f.line, set("line")),
    select("filter-locality", [["", `${tr("locality")}: ${tr("all")}`], ...distinct("locality").map((v) => [v, v])], f.locality, set("locality")),
    select("filter-light", [["", `${tr("light")}: ${tr("all")}`], ["red", tr("red")], ["amber", tr("amber")], ["green", tr("green")]], f.light, set("light")),
    select("sort", [["light", tr("by_light")], ["name", tr("by_name")], ["progress", tr("by_progress")], ["overdue", tr("by_overdue")]], f.sort, set("sort")));
  let shown = rows.filter((r) => (!f.line || r.work_line === f.line)
    && (!f.locality || r.locality === f.locality) && (!f.light || r.light === f.light));
  const sorters = {
    light: (a, b) => LIGHT_ORDER[a.light] - LIGHT_ORDER[b.light] || b.overdue - a.overdue || a.name.localeCompare(b.name),
    name: (a, b) => a.name.localeCompare(b.name, state.lang),
    progress: (a, b) => (a.progress ?? 2) - (b.progress ?? 2),
    overdue: (a, b) => b.overdue - a.overdue || b.unresolved - a.unresolved,
  };
  shown = shown.sort(sorters[f.sort] || sorters.light);
  const cards = shown.map((r) => el("article", { class: "card project", "data-project": r.id },
    el("h3", {}, el("span", { class: `light ${r.light}`, title: tr(r.light), "aria-label": tr(r.light) }),
      el("a", { href: `#/p/${r.id}` }, `${r.id} ${r.name}`)),
    facts([
      [tr("stage"), r.stage_label],
      [tr("line"), r.work_line],
      [tr("locality"), r.locality],
      [tr("progress"), r.progress === null ? null : el("span", {}, percent(r.progress), bar(r.progress))],
      [tr("investment"), r.investment === null ? null : percent(r.investment)],
      [tr("reporting"), r.expected ? `${r.answered}/${r.expected}` : "–"],
      [tr("unresolved"), el("a", { href: `#/problems?project=${r.id}` }, String(r.unresolved))],
      [tr("overdue"), r.overdue ? el("span", { class: "error" }, String(r.overdue)) : "0"],
    ])));
  const count = (light) => rows.filter((r) => r.light === light).length;
  const overdue = rows.reduce((sum, r) => sum + r.overdue, 0);
  const summary = el("p", { class: "hint", id: "summary" },
    tr("summary", { n: rows.length, red: count("red"), amber: count("amber"), green: count("green"), overdue }));
  show(el("h1", {}, tr("title")), summary, tools,
    cards.length ? el("section", { class: "grid", id: "projects" }, cards) : el("p", { class: "hint" }, tr("no_projects")));
}

// --- one project -------------------------------------------------------------------------

async function projectPage(id) {
  const p = await api(`/api/projects/${encodeURIComponent(id)}`);
  const plan = p.plan;
  const reports = await Promise.all(p.reports.map(async (r) => {
    const said = r.text ? (r.label ? `${r.label}：${r.text}` : r.text)
      : r.status === "missed" ? tr("missed") : r.status === "on_leave" ? tr("on_leave") : tr("all_ok");
    const pics = await Promise.all(r.photos.map(photo));
    return el("li", {}, el("span", { class: "tag" }, r.day), `${r.who}：${said}`,
      pics.length ? el("div", { class: "photos" }, pics) : null);
  }));
  show(
    el("p", {}, el("a", { href: "#/" }, `← ${tr("back")}`)),
    el("h1", {}, `${p.id} ${p.name}`),
    el("p", { class: "hint" }, `${tr("generated")} ${p.generated_at}`),
    el("h2", {}, tr("plan")),
    facts([
      [tr("stage"), plan.stage_label], [tr("line"), plan.work_line], [tr("locality"), plan.locality],
      [tr("total_investment"), plan.total_investment === null ? null : (plan.total_investment / 10000).toLocaleString()],
      [tr("year_investment"), plan.year_investment === null ? null : (plan.year_investment / 10000).toLocaleString()],
      [tr("planned_start"), plan.planned_start], [tr("planned_completion"), plan.planned_completion],
      [tr("year_target"), plan.year_target],
    ]),
    el("h2", {}, tr("milestones")),
    p.milestones.length ? el("ul", { class: "list", id: "milestones" }, await Promise.all(p.milestones.map(async (m) => el("li", {},
      el("span", { class: `light ${m.state === "done" ? "green" : m.state === "overdue" ? "red" : "grey"}` }),
      ` ${m.name}（${m.planned_on}）`,
      el("span", { class: `tag ${m.state === "overdue" ? "overdue" : ""}` },
        m.state === "done" ? `${tr("done")} ${m.done_on}` : m.state === "overdue" ? tr("late") : tr("pending")),
      m.evidence ? el("div", { class: "hint" }, m.evidence) : null,
      m.photos.length ? el("div", { class: "photos" }, await Promise.all(m.photos.map(photo))) : null))))
      : el("p", { class: "hint" }, tr("none")),
    el("h2", {}, tr("people")),
    el("ul", { class: "list", id: "people" }, p.people.map((m) => el("li", {},
      el("span", { class: "tag" }, m.role_label), [m.unit, m.title, m.name].filter(Boolean).join(" ")))),
    el("h2", {}, tr("reports")),
    reports.length ? el("ul", { class: "list", id: "reports" }, reports) : el("p", { class: "hint" }, tr("none")),
    el("h2", {}, el("a", { href: `#/problems?project=${p.id}&status=all` }, tr("ledger"))),
  );
}

// --- the ledger --------------------------------------------------------------------------

async function problemsPage(params) {
  const query = new URLSearchParams(params);
  const data = await api(`/api/problems?${query}`);
  const go = (changes) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
    if (!("page" in changes)) next.delete("page");
    location.hash = `#/problems?${next}`;
  };
  const search = el("input", { type: "search", id: "search", placeholder: tr("search"), value: query.get("q") || "" });
  const form = el("form", { class: "tools", onsubmit: (e) => { e.preventDefault(); go({ q: search.value.trim() }); } },
    search,
    select("filter-status", ["unresolved", "open", "awaiting", "resolved", "all"].map((s) => [s, tr(`st_${s}`)]),
      query.get("status") || "unresolved", (v) => go({ status: v })),
    data.departments.length ? select("filter-department",
      [["", `${tr("department")}: ${tr("all")}`], ...data.departments.map((d) => [String(d.id), d.name])],
      query.get("department") || "", (v) => go({ department: v })) : null,
    el("label", {}, el("input", { type: "checkbox", id: "filter-overdue", checked: query.get("overdue") === "1",
      onchange: (e) => go({ overdue: e.target.checked ? "1" : "" }) }), ` ${tr("only_overdue")}`));
  const page = Number(query.get("page") || 0);
  const items = data.problems.map((p) => el("li", { "data-problem": p.id },
    el("a", { href: `#/q/${p.id}` }, `#${p.id} ${p.text}`), el("br"),
    el("span", { class: "tag" }, p.project), el("span", { class: "tag" }, p.status_label),
    el("span", { class: `tag ${p.overdue ? "overdue" : ""}` }, `${tr("deadline")} ${p.deadline}`)));
  const pages = Math.ceil(data.total / data.page_size);
  show(el("h1", {}, tr("ledger")), form,
    el("p", { class: "hint", id: "total" }, tr("total", { n: data.total })),
    items.length ? el("ul", { class: "list", id: "problems" }, items) : el("p", { class: "hint" }, tr("none")),
    pages > 1 ? el("div", { class: "pager" },
      el("button", { class: "plain", disabled: page <= 0, onclick: () => go({ page: String(page - 1) }) }, tr("prev")),
      `${page + 1} / ${pages}`,
      el("button", { class: "plain", disabled: page + 1 >= pages, onclick: () => go({ page: String(page + 1) }) }, tr("next"))) : null);
}

async function problemPage(id, message) {
  const p = await api(`/api/problems/${encodeURIComponent(id)}`);
  const reason = el("input", { id: "reason", placeholder: tr("reason"), maxlength: "500" });
  const days = el("input", { id: "days", type: "number", min: "1", max: "90", value: "7", size: "3" });
  const act = async (action) => {
    const body = action === "extend" ? { days: Number(days.value), reason: reason.value }
      : action === "send-back" ? { reason: reason.value } : {};
    try {
      const done = await api(`/api/problems/${p.id}/${action}`, { body });
      await problemPage(p.id, done.message);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) await problemPage(p.id, error.message);
      else showError(error);
    }
  };
  const needsReason = p.actions.some((a) => a === "extend" || a === "send-back");
  const pics = await Promise.all(p.photos.map(photo));
  show(
    el("p", {}, el("a", { href: "#/problems" }, `← ${tr("back")}`)),
    message ? el("p", { class: "message", id: "message", role: "status" }, message) : null,
    el("h1", {}, `#${p.id} ${p.text}`),
    facts([
      [tr("project"), el("a", { href: `#/p/${p.project_id}` }, p.project)],
      [tr("status"), el("span", { id: "status" }, p.status_label)],
      [tr("deadline"), el("span", { class: p.overdue ? "error" : "" }, p.deadline)],
      [tr("reporter"), p.reporter], [tr("coordination"), p.coordination], [tr("proposal"), p.proposal],
    ]),
    pics.length ? el("div", { class: "photos" }, pics) : null,
    p.actions.length ? el("div", { class: "actions", id: "actions" },
      needsReason ? reason : null, p.actions.includes("extend") ? [days, tr("days")] : null,
      p.actions.map((a) => el("button", { "data-action": a, onclick: () => act(a) }, tr(a)))) : null,
    el("h2", {}, tr("history")),
    el("ul", { class: "list", id: "history" }, p.history.map((h) => el("li", {}, h))),
  );
}

// --- notices -----------------------------------------------------------------------------

async function noticesPage() {
  const [data, weeks] = await Promise.all([api("/api/notices"), api("/api/digests")]);
  const digests = weeks.digests.map((d) => {
    const body = el("div", { class: "notice" });
    const open = async () => {
      if (body.childNodes.length) { body.replaceChildren(); return; }
      try { body.textContent = (await api(`/api/digests/${encodeURIComponent(d.period)}`)).text; }
      catch (error) { body.textContent = error.message; }
    };
    return el("li", { "data-period": d.period },
      el("button", { class: "plain", onclick: open }, `${tr("digest")} ${d.period}`), body);
  });
  show(el("h1", {}, tr("notices")),
    digests.length ? [el("h2", {}, tr("digests")), el("ul", { class: "list", id: "digests" }, digests)] : null,
    el("h2", {}, tr("notices")),
    data.notices.length ? el("section", { id: "notices" }, data.notices.map((n) => el("article", { class: "card" },
      el("h3", {}, n.number || n.period),
      el("p", { class: "hint" }, `${tr("published")} ${(n.published_at || "").slice(0, 10)}`),
      el("div", { class: "notice" }, n.text)))) : el("p", { class: "hint" }, tr("none")));
}

// --- routing -----------------------------------------------------------------------------

async function route() {
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const parts = (path || "/").split("/").filter(Boolean);
  const section = parts[0] === "problems" || parts[0] === "q" ? "problems" : parts[0] === "notices" ? "notices" : "board";
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("on", link.dataset.nav === section);
  }
  delete document.body.dataset.ready;
  try {
    if (parts[0] === "p" && parts[1]) await projectPage(parts[1]);
    else if (parts[0] === "q" && parts[1]) await problemPage(parts[1]);
    else if (parts[0] === "problems") await problemsPage(search || "");
    else if (parts[0] === "notices") await noticesPage();
    else await boardPage();
  } catch (error) {
    showError(error);
  }
}

async function start() {
  readLaunchParams();
  if (new URLSearchParams(location.search).get("login") === "expired") {
    document.documentElement.lang = state.lang;
    show(el("p", { class: "error", id: "signed-out" }, tr("expired")));
    return;
  }
  try {
    state.me = await api("/api/me");
    state.lang = state.me.lang === "en" ? "en" : "zh-CN";
    document.documentElement.lang = state.lang;
    document.title = state.lang === "en" ? "Bangban board" : "帮办看板";
    document.getElementById("who").textContent = state.me.name;
    for (const key of ["board", "problems", "notices"]) {
      document.getElementById(`nav-${key}`).textContent = tr(key);
    }
  } catch (error) {
    showError(error);
    return;
  }
  window.addEventListener("hashchange", route);
  await route();
}

document.addEventListener("DOMContentLoaded", start);
