"""UI text in Chinese (default) and English, and the switch that relabels a running page.

Components are built with the server's default language; each one registers the
text keys of its label / placeholder / value with :class:`Labels`, and
``Labels.updates(lang)`` yields the ``gr.update`` for every one of them when a
session picks the other language (the switch, or ``?lang=en`` in the address).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGS = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {   # key: (zh, en)
    "title": ("## 🎯 qbank · AI/ML 面试题库助手", "## 🎯 qbank · AI/ML interview question banks"),
    "subtitle": ("带引用的回答、逐点评分的模拟面试——离线可用。",
                 "Cited answers and point-by-point graded mock interviews — works offline."),
    "language": ("界面语言", "Language"),
    # tabs
    "tab_chat": ("💬 问答", "💬 Chat"),
    "tab_interview": ("🎤 模拟面试", "🎤 Mock interview"),
    "tab_library": ("📚 题库", "📚 Library"),
    "tab_settings": ("⚙️ 设置", "⚙️ Settings"),
    # chat
    "chat": ("对话", "Conversation"),
    "question": ("你的问题", "Your question"),
    "question_ph": ("例如：什么是感受野？  追问：那它有什么缺点？",
                    "e.g. What is the receptive field of a CNN?  Follow up: what are its drawbacks?"),
    "send": ("发送", "Send"),
    "new_chat": ("新对话", "New chat"),
    "citations": ("引用（点击查看原题）", "Citations (click to open the item)"),
    "related": ("相关问题（点击提问）", "Related questions (click to ask)"),
    "panel_title": ("#### 原题", "#### Source item"),
    "panel_empty": ("*点击回答中的 [n] 引用或下方的引用列表，在这里查看完整的题目与参考答案。*",
                    "*Click a [n] citation in an answer, or one in the list below, to open the whole item here.*"),
    "mode_extractive": ("📖 题库作答", "📖 Answered from the banks"),
    "mode_llm": ("🤖 LLM 作答", "🤖 Answered by the LLM"),
    "mode_abstained": ("⚠️ 题库未覆盖", "⚠️ Not covered by the banks"),
    "mode_closest": ("🔎 最接近的题目，请核对", "🔎 Closest match — please check"),
    "mode_llm_closest": ("🤖 LLM 作答 · 仅有相近题目，请核对", "🤖 Answered by the LLM · nearby questions only, please check"),
    "confidence": ("置信度", "confidence"),
    "excerpt": ("节选", "excerpt"),
    "closest_notice": ("题库里没有与之完全对应的题目：下面是最接近的几道，点开核对是否是你要问的。",
                       "No item matches this exactly: these are the nearest ones; open them to check."),
    "not_covered": ("题库中没有直接覆盖这个问题。以下是最接近的题目，仅供参考：",
                    "The banks do not cover this question directly. The closest questions, for reference:"),
    "resolved_as": ("结合上文理解为：", "Understood in context as: "),
    "thinking": ("检索中…", "Searching…"),
    # item panel
    "doc": ("文档", "Document"), "file": ("文件", "File"), "number": ("题号", "No."),
    "lines": ("行", "Lines"), "page": ("页", "Page"), "topic": ("主题", "Topic"),
    "answer": ("参考答案", "Reference answer"), "also_in": ("同题还出现在", "Also appears in"),
    "key_points": ("要点", "Key points"), "section": ("章节", "Section"),
    # interview
    "iv_setup": ("面试设置", "Set-up"),
    "iv_docs": ("文档（不选为全部）", "Documents (none = all)"),
    "iv_topics": ("主题（不选为全部）", "Topics (none = all)"),
    "iv_count": ("题目数量", "Number of questions"),
    "iv_order": ("出题顺序", "Order"),
    "iv_order_random": ("随机", "Random"),
    "iv_order_due": ("到期优先", "Due first"),
    "iv_order_weakest": ("薄弱优先", "Weakest first"),
    "iv_profile": ("档案（复习记录按档案保存）", "Profile (review history is kept per profile)"),
    "iv_skip": ("跳过", "Skip"),
    "iv_mean": ("平均分", "mean"),
    "iv_empty": ("回答为空：请先写下你的回答再提交。", "The answer is empty: write an answer first."),
    "iv_start": ("开始面试", "Start interview"),
    "iv_question": ("当前题目", "Question"),
    "iv_answer": ("你的回答", "Your answer"),
    "iv_answer_ph": ("像在面试中一样作答，写下你的思路和要点……", "Answer as you would in an interview…"),
    "iv_submit": ("提交回答", "Submit answer"),
    "iv_next": ("下一题", "Next question"),
    "iv_finish": ("结束并查看报告", "Finish and see the report"),
    "iv_progress": ("进度", "Progress"),
    "iv_grade": ("评分", "Grade"),
    "iv_report": ("面试报告", "Interview report"),
    "iv_chart": ("各主题得分", "Score per topic"),
    "iv_export": ("导出 Markdown", "Export Markdown"),
    "iv_idle": ("*选择范围后点击「开始面试」。*", "*Choose the scope, then press Start interview.*"),
    "iv_score": ("得分", "Score"), "iv_feedback": ("反馈", "Feedback"), "iv_follow_up": ("追问", "Follow-up"),
    "iv_reference": ("参考答案", "Reference answer"), "iv_evidence": ("依据", "evidence"),
    "iv_offline": ("离线评分", "offline"), "iv_llm_score": ("LLM 评分", "LLM grade"),
    "iv_llm_feedback": ("LLM 反馈", "LLM feedback"),
    "iv_uncertain": ("⚠️ 两种评分不一致，仅供参考", "⚠️ the two grades disagree: for reference only"),
    "iv_llm_unavailable": ("LLM 评分不可用（{why}），以下为离线评分。", "LLM grading unavailable ({why}); showing the offline grade."),
    "iv_no_questions": ("所选范围内没有题目，请放宽文档或主题。", "No questions in that scope; widen the documents or topics."),
    "iv_not_started": ("请先开始一场面试。", "Start an interview first."),
    "iv_done": ("已答完全部题目，点击「结束并查看报告」。", "All questions answered: press Finish to see the report."),
    "status_covered": ("✓ 覆盖", "✓ covered"), "status_partial": ("~ 部分", "~ partial"),
    "status_missing": ("✗ 缺失", "✗ missing"), "status_contradicted": ("✗ 矛盾", "✗ contradicted"),
    # library
    "lib_filter_doc": ("按文档筛选", "Filter by document"),
    "lib_filter_topic": ("按主题筛选", "Filter by topic"),
    "lib_filter_text": ("按关键词筛选题目", "Filter questions by text"),
    "lib_all": ("全部", "All"),
    "lib_item_empty": ("*点击表格中的一行，在这里查看完整的题目与参考答案。*", "*Click a row of the table to open the whole item here.*"),
    "lib_table": ("题目（点击一行查看）", "Questions (click a row to open it)"),
    "lib_count": ("共 {n} 题", "{n} questions"),
    "lib_upload": ("上传题库（.md .txt .pdf .docx .html，单个不超过 {mb} MB）",
                   "Upload banks (.md .txt .pdf .docx .html, up to {mb} MB each)"),
    "lib_upload_btn": ("添加到题库", "Add to the library"),
    "lib_upload_none": ("请先选择要上传的文件。", "Choose files to upload first."),
    "lib_upload_ok": ("✅ {name}：已加入 {n} 题", "✅ {name}: {n} questions added"),
    "lib_upload_err": ("❌ {name}：{reason}", "❌ {name}: {reason}"),
    "lib_upload_total": ("索引现有 {n} 题，可立即在问答中搜索。", "The index now holds {n} questions, searchable now."),
    "lib_uploading": ("正在建立索引…", "Indexing…"),
    "lib_upload_doubt": ("⚠️ {name}：已加入 {n} 题。{why}", "⚠️ {name}: {n} questions added. {why}"),
    "lib_upload_renamed": ("（{wanted} 已是另一个题库的名字，另存为 {stored}）",
                           " (stored as {stored}: {wanted} is another bank's name)"),
    # upload preview: how a chosen file would be split, and the question marker to force
    "lib_preview_title": ("#### 切分预览（尚未加入题库）", "#### Split preview (not indexed yet)"),
    "lib_preview_file": ("**{name}**：{n} 题 · 题目标记：{layout}", "**{name}**: {n} questions · question marker: {layout}"),
    "lib_preview_file_sections": ("**{name}**：{n} 个章节（未识别出题目）· 题目标记：{layout}",
                                  "**{name}**: {n} sections (no questions found) · question marker: {layout}"),
    "lib_preview_forced": ("（手动选择）", " (your choice)"),
    "lib_preview_more": ("……另有 {n} 项", "… and {n} more"),
    "lib_preview_hint": ("题目切分不对？选择题目标记后点「重新切分」；确认无误再点「添加到题库」。",
                         "Split wrong? Pick the question marker and press Re-split; when it looks right, add it to the library."),
    "lib_preview_pick": ("要调整的文件", "File to adjust"),
    "lib_marker": ("题目标记", "Question marker"),
    "lib_resplit": ("重新切分", "Re-split"),
    "doubt_few_items": ("只切出 {n} 题，文件却有 {m} 行：请在预览中检查题目标记",
                        "Only {n} questions from a file of {m} lines: check the question marker in the preview."),
    "doubt_dominant_answer": ("一个答案占了文件的大部分：请在预览中检查题目标记",
                              "One answer holds most of the file: check the question marker in the preview."),
    "doubt_only_sections": ("没有识别出题目，按 {n} 个章节索引：若这是题库，请在预览中选择题目标记",
                            "No questions found, indexed as {n} sections: if this is a question bank, pick the "
                            "question marker in the preview."),
    "doubt_other": ("切分可疑（{code}）：请在预览中检查题目标记",
                    "The split looks doubtful ({code}): check the question marker in the preview."),
    "layout_auto": ("自动识别", "Automatic"),
    "layout_heading1": ("一级标题（#）", "Headings at level 1 (#)"),
    "layout_heading2": ("二级标题（##）", "Headings at level 2 (##)"),
    "layout_heading3": ("三级标题（###）", "Headings at level 3 (###)"),
    "layout_heading4": ("四级标题（####）", "Headings at level 4 (####)"),
    "layout_heading5": ("五级标题（#####）", "Headings at level 5 (#####)"),
    "layout_heading6": ("六级标题（######）", "Headings at level 6 (######)"),
    "layout_bold": ("加粗行（**…**）", "Bold lines (**…**)"),
    "layout_numbered": ("编号行（1. / 1、 / 一、 / 第1题）", "Numbered lines (1. / 1、 / 一、 / 第1题)"),
    "layout_list": ("列表项（答案缩进写在下面）", "List items with indented answers"),
    "layout_qa": ("Q:/问： 行，A:/答： 作答", "Q:/问： lines with A:/答： answers"),
    "layout_sections": ("不分题：按标题分节", "No questions: heading sections"),
    "col_id": ("编号", "ID"), "col_doc": ("文档", "Document"), "col_number": ("题号", "No."),
    "col_question": ("题目", "Question"), "col_topic": ("主题", "Topic"), "col_where": ("位置", "Location"),
    "col_section": ("章节", "Section"),
    # settings
    "set_intro": ("这些设置只对当前浏览器会话生效；服务器默认值来自 config.toml / 环境变量。",
                  "These settings apply to this browser session only; server defaults come from config.toml / env vars."),
    "set_backend": ("LLM 后端", "LLM backend"),
    "set_backend_none": ("不使用（仅题库）", "None (banks only)"),
    "set_backend_openai": ("OpenAI 兼容 API", "OpenAI-compatible API"),
    "set_backend_ollama": ("Ollama", "Ollama"),
    "set_backend_local": ("本地模型（transformers）", "Local model (transformers)"),
    "set_model": ("模型", "Model"),
    "set_base_url": ("Base URL", "Base URL"),
    "set_api_key": ("API Key（仅保存在本会话内存中，不会显示或记录）",
                    "API key (kept in this session's memory only; never shown back or logged)"),
    "set_api_key_ph": ("粘贴 API Key", "Paste an API key"),
    "set_api_key_kept": ("已设置 API Key（不会显示）；留空则保持不变", "An API key is set (hidden); leave empty to keep it"),
    "set_save": ("应用设置", "Apply"),
    "set_test": ("测试连接", "Test connection"),
    "set_saved": ("✅ 已应用：{backend}", "✅ Applied: {backend}"),
    "set_test_ok": ("✅ 连接成功（{ms} ms）：{reply}", "✅ Connected ({ms} ms): {reply}"),
    "set_test_fail": ("❌ 连接失败：{error}", "❌ Connection failed: {error}"),
    "set_test_none": ("未选择 LLM 后端：回答只来自题库，无需连接。", "No LLM backend: answers come from the banks only."),
}


def t(key: str, lang: str = "zh", **fmt) -> str:
    """The text of ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``.

    Raises:
        KeyError: an unknown key (a typo in the UI code).
    """
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def pick_lang(requested: str | None, default: str) -> str:
    """The session's language: ``?lang=`` from the address if valid, else the server default."""
    for cand in (requested, default):
        if cand and cand.lower()[:2] in LANGS:
            return cand.lower()[:2]
    return "zh"


@dataclass
class Labels:
    """Which component attribute shows which text key, so a page can be relabelled per session."""

    entries: list[tuple[object, dict]] = field(default_factory=list)

    def add(self, component, **attrs):
        """Register ``component``; returns it.

        Each keyword is an attribute and either a text key (``label="question"``) or a function
        of the language (``choices=lambda lang: [...]``).
        """
        self.entries.append((component, attrs))
        return component

    @property
    def components(self) -> list:
        return [c for c, _ in self.entries]

    def updates(self, lang: str, **fmt) -> list[dict]:
        import gradio as gr

        return [gr.update(**{attr: key(lang) if callable(key) else t(key, lang, **fmt) for attr, key in attrs.items()})
                for _, attrs in self.entries]
