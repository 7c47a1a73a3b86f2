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
    "col_copies": ("重复", "Copies"),
    "lib_count_merged": ("共 {n} 题（{d} 道重复的题目已合并，见题目详情）", "{n} questions ({d} repeated ones merged: see the item)"),
    "lib_practise": ("🎤 练习这道题", "🎤 Practise this question"),
    "lib_ask": ("💬 就这道题提问", "💬 Ask about it"),
    "lib_pick_first": ("请先在表格中点选一道题。", "Select a question in the table first."),
    "lib_selected": ("已选：{question}", "Selected: {question}"),
    "also_in_item": ("{doc} · {where}", "{doc} · {where}"),
    # short inline notices for a user's mistake (ui/notices.py): no environment variables, no tracebacks
    "err_empty_question": ("问题为空：请先输入一个问题，例如 什么是感受野？",
                           "The question is empty: type a question, e.g. What is the receptive field?"),
    "err_too_long": ("问题有 {n} 个字，超过上限 {limit} 字：请一次只问一个话题。",
                     "The question is {n} characters long, over the limit of {limit}: ask about one topic at a time."),
    "err_llm_setup": ("本会话的 LLM 设置无法使用：{why}（在「设置」页修改）",
                      "This session's LLM settings cannot be used: {why} (change them in Settings)"),
    "err_answer_failed": ("回答失败：{why}", "Answering failed: {why}"),
    "err_item_gone": ("找不到题目 {id}：题库可能刚刚更新过，请刷新页面。",
                      "No item {id}: the library may have just been updated; reload the page."),
    "set_need_model": ("请在「模型」一栏填写模型名，例如 {example}", "fill in the Model field, e.g. {example}"),
    "set_need_key": ("OpenAI 兼容 API 需要在「API Key」一栏填写密钥，或在「Base URL」一栏填写本地兼容服务器的地址",
                     "the OpenAI-compatible API needs a key in the API key field, or the Base URL of a local "
                     "compatible server"),
    "set_invalid": ("设置未应用：{why}", "Not applied: {why}"),
    "set_missing_package": ("缺少所需的 Python 包：{why}", "a required Python package is missing: {why}"),
    # settings
    "set_intro": ("这些设置只对当前浏览器会话生效；刷新页面后恢复服务器的默认设置。",
                  "These settings apply to this browser session only; reloading the page restores the server's defaults."),
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
    # MCP server and chat API (ui/mcp_server.py, ui/chat_api.py): errors name the bad value
    "api_not_text": ("{what} 必须是文本，收到的是 {kind}", "{what} must be text, got {kind}"),
    "api_empty": ("{what} 为空：请输入内容，例如 什么是感受野？", "{what} is empty: write something, e.g. What is dropout?"),
    "api_too_long": ("{what} 有 {n} 个字符，超过上限 {limit}（设置 max_query_chars / max_answer_chars）；请一次只问一个话题",
                     "{what} is {n} characters long, over the limit of {limit} (setting max_query_chars / "
                     "max_answer_chars); ask about one topic at a time"),
    "api_bad_k": ("k 必须是 1 到 {most} 之间的整数，收到 {k}", "k must be a whole number from 1 to {most}, got {k}"),
    "api_no_item": ("题库中没有 id 为 {id} 的题目；用 search 工具或 qbank://banks 资源查找 id",
                    "no item with id {id}; find ids with the search tool or the qbank://banks resource"),
    "api_no_bank": ("没有名为 {file} 的题库文件；可用：{files}", "no bank file named {file}; available: {files}"),
    "api_bad_mode": ("mode 必须是 due 或 weakest，收到 {mode}", "mode must be due or weakest, got {mode}"),
    "api_no_questions": ("没有符合条件的题目：docs={docs} topics={topics}", "no questions match docs={docs} topics={topics}"),
    "api_bad_profile": ("profile {profile} 不可用：{reason}", "profile {profile} cannot be used: {reason}"),
    "api_no_key": ("需要 API key：此服务器设置了登录，请求头加上 Authorization: Bearer <登录密码>（${env} 的值）",
                   "an API key is required: this server has a login; send Authorization: Bearer <the login password, "
                   "the value of ${env}>"),
    "api_bad_key": ("API key 不正确（应为登录密码，即 ${env} 的值）",
                    "the API key is wrong (it is the login password, the value of ${env})"),
    "api_bad_json": ("请求体不是 JSON 对象：{reason}", "the request body is not a JSON object: {reason}"),
    "api_no_messages": ("messages 必须是非空列表，收到 {got}", "messages must be a non-empty list, got {got}"),
    "api_bad_message": ("messages[{i}] 必须是带 role 和 content 的对象，收到 {got}",
                        "messages[{i}] must be an object with role and content, got {got}"),
    "api_bad_role": ("messages[{i}].role 为 {role}；应为 system、developer、user、assistant 或 tool",
                     "messages[{i}].role is {role}; use system, developer, user, assistant or tool"),
    "api_too_big": ("请求体超过 {limit} MB", "the request body is over {limit} MB"),
    "api_last_not_user": ("最后一条消息必须来自 user，收到 role={role}", "the last message must be from the user, got role={role}"),
    "api_bad_model": ("模型 {model} 不存在；可用：{models}", "the model {model} does not exist; available: {models}"),
    "api_bad_stream": ("stream 必须是 true 或 false，收到 {got}", "stream must be true or false, got {got}"),
    "api_not_found": ("没有这个接口：{method} {path}；可用：POST /v1/chat/completions、GET /v1/models",
                      "no such endpoint: {method} {path}; use POST /v1/chat/completions or GET /v1/models"),
    "api_failed": ("回答失败：{reason}", "answering failed: {reason}"),
    # interview flow (issue 14): regrade on screen, ask before leaving an unsubmitted answer, report actions
    "iv_answer_info": ("Ctrl+Enter 提交；改写后再次提交会重新评分（以最后一次为准）。",
                       "Ctrl+Enter submits; submit a revised answer again to regrade it (the latest grade counts)."),
    "iv_last": ("这是最后一题：点击「结束并查看报告」。", "This is the last question: press Finish to see the report."),
    "iv_over": ("本场面试已结束，报告见下方。", "This interview is over; its report is below."),
    "iv_gone": ("题目 {id} 已不在题库中：请跳过。", "Question {id} is no longer in the library: skip it."),
    "iv_confirm_unsent": ("这段回答还没有提交。要先提交评分吗？", "This answer has not been submitted. Grade it first?"),
    "iv_confirm_changed": ("回答改过但还没有重新提交。要按新回答重新评分吗？",
                           "The answer changed since it was graded. Regrade the new answer?"),
    "iv_confirm_blank": ("这道题还没有作答。要跳过它吗？", "This question has no answer yet. Skip it?"),
    "iv_confirm_submit": ("提交并进入下一题", "Submit and go on"),
    "iv_confirm_discard": ("不提交，直接下一题", "Go on without submitting"),
    "iv_confirm_edit": ("继续编辑", "Keep editing"),
    "iv_again_weak": ("再练一遍薄弱题", "Practise the weak ones again"),
    "iv_restart": ("重新开始", "Start again"),
    "iv_no_weak": ("本场没有低于 60 分的题目。", "Nothing in this interview scored below 60."),
    # history and dashboard tabs
    "tab_history": ("🗂️ 历史", "🗂️ History"),
    "tab_dashboard": ("📈 进度", "📈 Progress"),
    "hi_table": ("历次面试（点击一行查看报告）", "Past interviews (click a row to open its report)"),
    "hi_intro": ("档案 `{profile}`：共 {n} 场面试。", "Profile `{profile}`: {n} interviews."),
    "hi_empty": ("*还没有面试记录：在「模拟面试」中答完一题后，这里会列出每一场。*",
                 "*No interviews yet: once you answer a question in Mock interview, each session is listed here.*"),
    "hi_missing": ("找不到这场面试的记录。", "This interview's record was not found."),
    "hi_col_date": ("日期", "Date"), "hi_col_questions": ("已答/题数", "Answered"), "hi_col_mean": ("平均分", "Mean"),
    "hi_col_topics": ("薄弱主题", "Weakest topics"), "hi_col_status": ("状态", "Status"),
    "hi_finished": ("已完成", "finished"), "hi_in_progress": ("进行中", "in progress"),
    "db_empty": ("*还没有作答记录：完成一场模拟面试后，这里显示今日到期、连续天数和分数走势。*",
                 "*Nothing answered yet: after a mock interview, this shows what is due today, your streak and scores.*"),
    "db_stats": ("档案 `{profile}` · **今日到期 {due} 题** · 连续练习 **{streak}** 天 · 共作答 {answers} 次（{questions} 道题）",
                 "Profile `{profile}` · **{due} due today** · streak **{streak}** days · {answers} answers "
                 "({questions} questions)"),
    "db_scores": ("每日平均分", "Mean score per day"),
    "db_weakest": ("最薄弱的主题", "Weakest topics"),
    "db_answers_n": ("{n} 次作答", "{n} answers"), "db_due_n": ("{n} 题到期", "{n} due"),
    # Anki export (Library)
    "lib_anki_btn": ("⬇ 导出 Anki 牌组（当前筛选的题目）", "⬇ Export an Anki deck (the questions shown)"),
    "lib_anki_file": ("Anki 牌组（.apkg：在 Anki 中 文件 → 导入；再次导入会更新而不是重复）",
                      "Anki deck (.apkg: in Anki, File → Import; importing it again updates the notes, no duplicates)"),
    "lib_anki_none": ("没有符合当前筛选的题目可导出：请先放宽筛选。", "No questions match the filters: widen them first."),
    "lib_anki_done": ("已导出 {n} 题（{d} 个牌组）。", "{n} questions exported ({d} decks)."),
    # notes about an answer: one per rag.answer_types.NoticeCode ("notice_" + its value), rendered by ui/answer_text.py
    "notice_banks_in_chinese": ("题库是中文的：以下是原文参考答案（设置 LLM 后端可得到英文回答）。",
                                "The banks are in Chinese: this is the reference answer as written "
                                "(set an LLM backend for an English answer)."),
    "notice_llm_failed": ("大模型回答失败（{reason}），以下是题库中的参考答案。",
                          "The LLM answer failed ({reason}); showing the reference answer from the banks."),
    "notice_citations_dropped": ("已删除不指向任何检索结果的引用 {numbers}。",
                                 "Removed citation(s) {numbers} that pointed at no retrieved item."),
    "notice_citations_added": ("模型没有标注出处，出处由 qbank 按内容补上。",
                               "The model gave no citations; qbank added the sources it drew on."),
    "notice_low_confidence": ("检索置信度较低：题库里只有相近的题目，请核对引用。",
                              "Low retrieval confidence: the banks only have nearby questions; check the citations."),
    "notice_half_comparison": ("题库没有覆盖 {missing}：这只是一半的答案。", "The banks do not cover {missing}: this is half an answer."),
    "notice_not_covered": ("题库中没有覆盖这个问题。{nearest}", "The question banks do not cover this question.{nearest}"),
    "nearest_head": ("最接近的题目：", " The nearest questions are:"),
    "nearest_row": ("\n- {question}（{doc}）", "\n- {question} ({doc})"),
    "notice_no_exact_match": ("题库中没有与这个问题完全对应的题目。最接近的是下面几道，请点开核对：",
                              "No question in the banks matches this exactly. The nearest ones are below; open one to check:"),
    "notice_excerpt": ("*（节选{where}；完整答案点击 [1] 查看）*", "*(Excerpt{where}; the whole item opens from [1].)*"),
    "excerpt_lines": ("：第 {a}–{b} 行", ", lines {a}–{b}"),
    "notice_aspect_not_in_item": ("这道题没有专门讲{aspect}，以下是它的主要内容：\n\n",
                                  "This item does not discuss {aspect}; its main points:\n\n"),
    "notice_aspect_in_other_item": ("「{topic}」这道题没有讲{aspect}；另一道题讲到了：\n\n",
                                    "The item \u201c{topic}\u201d does not discuss {aspect}; another one does:\n\n"),
    "notice_aspect_not_covered": ("题库中「{topic}」这道题没有讲到它的{aspect}，其他题目也没有。",
                                  "The banks do not cover {aspect} of this: the item \u201c{topic}\u201d does not discuss "
                                  "them, and no other item does."),
    "notice_no_direct_comparison": ("题库中没有直接比较 {a} 和 {b} 的题目，下面分别给出题库里各自的内容：",
                                    "No item in the banks compares {a} and {b} directly; here is what they say about each:"),
    "notice_compare_side": ("- **{side}**：", "- **{side}**: "),
    "notice_side_not_covered": ("- **{side}**：题库没有覆盖 {side}。", "- **{side}**: the banks do not cover {side}."),
    # the aspects a follow-up asks for (rag.aspects): "aspect_" + its name
    "aspect_cons": ("缺点", "drawbacks"), "aspect_pros": ("优点", "advantages"),
    "aspect_compute": ("计算方法", "how it is computed"), "aspect_apps": ("应用场景", "applications"),
    "aspect_example": ("例子", "examples"), "aspect_why": ("原因", "the reasons"), "aspect_how": ("做法", "how it works"),
    # why an LLM reply was refused: one per rag.answer_types.LLMFailure ("llm_failure_" + its value)
    "llm_failure_empty": ("回答为空", "empty reply"),
    # a failed LLM call: one per rag.llm.LLMErrorKind ("llm_error_" + its value)
    "llm_error_timeout": ("{detail} 秒内没有回复", "timed out after {detail}s"),
    "llm_error_http": ("{where} 返回 HTTP {detail}", "HTTP {detail} from {where}"),
    "llm_error_connect": ("无法连接 {where}", "cannot connect to {where}"),
    "llm_error_malformed": ("回复格式不对（{detail}）", "malformed reply ({detail})"),
    "llm_error_other": ("调用出错（{detail}）", "the call failed ({detail})"),
    "llm_failure_uncited": ("回答没有依据题库", "the reply cites nothing from the banks"),
}


def t(key: str, lang: str = "zh", **fmt) -> str:
    """The text of ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``.

    Raises:
        KeyError: an unknown key (a typo in the UI code).
    """
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


# the coarse topics of ingest/topics.py are the app's own labels (not bank text): shown in the UI's language
TOPIC_EN: dict[str, str] = {
    "大模型/LLM": "LLMs", "计算机视觉": "Computer vision", "NLP": "NLP", "强化学习": "Reinforcement learning",
    "生成模型": "Generative models", "网络结构": "Network architectures", "训练与优化": "Training and optimisation",
    "正则化与泛化": "Regularisation and generalisation", "模型评估": "Model evaluation",
    "模型压缩与部署": "Compression and deployment", "机器学习基础": "Machine learning basics", "其他": "Other",
}


def topic_label(topic: str, lang: str = "zh") -> str:
    """A topic as shown in ``lang``: the English name of one of the coarse topics, else the topic itself."""
    return TOPIC_EN.get(topic, topic) if lang == "en" else topic


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
