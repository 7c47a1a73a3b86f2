"""A local server speaking the OpenAI chat.completions protocol that answers like a rubric grader.

Used by the app's LLM-grading tests (service level and browser). The requested model name
picks the behaviour:

* ``missing-N``: every key point ``missing``, score N (disagrees with a good offline grade);
* ``partial-N``: every key point ``partial``, score N (agrees when N is near the offline score);
* ``garbage``: prose instead of the JSON asked for;
* ``err500``: HTTP 500.

Any other request (the follow-up question) gets :data:`FOLLOW_UP`. Replies stream as SSE
when the client asks for a stream, as one JSON body otherwise. Run it with
``tests.openai_stub.serve_stub(RubricHandler)``.
"""

from __future__ import annotations

import json
import re

from tests.openai_stub import StubHandler, sse_chunk

FOLLOW_UP = "如果不能用卷积核大小直接相加，你会怎样逐层推算它？"
FEEDBACK = "LLM 认为回答没有覆盖参考要点。"


def rubric_reply(model: str, human: str) -> str:
    """The reply text for a rubric request to ``model`` (``human``: the request's human message)."""
    if model == "garbage":
        return "我觉得这个回答很好，给满分。"
    kind, _, score = model.partition("-")
    block = human.split("参考要点：", 1)[1].split("候选人的回答", 1)[0]
    n = len(re.findall(r"^\d+\. ", block, re.M))
    points = [{"index": k, "status": kind, "evidence": ""} for k in range(1, n + 1)]
    return json.dumps({"points": points, "score": int(score or 0), "feedback": FEEDBACK}, ensure_ascii=False)


class RubricHandler(StubHandler):
    server_version = "stub-rubric/1"

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        model, messages = body["model"], body["messages"]
        if model == "err500":
            return self.send_body(500, "application/json", json.dumps({"error": {"message": "internal error"}}).encode())
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        human = messages[-1]["content"]
        text = rubric_reply(model, human) if "评分员" in system else FOLLOW_UP
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            reply = {"id": "c1", "object": "chat.completion", "created": 1, "model": model,
                     "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
            return self.send_body(200, "application/json", json.dumps(reply, ensure_ascii=False).encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = [text[i:i + 24] for i in range(0, len(text), 24)]
        for delta, finish in [({"role": "assistant", "content": ""}, None)] + [({"content": p}, None) for p in pieces] \
                + [({}, "stop")]:
            self.wfile.write(sse_chunk(delta, finish, model=model, id="c1"))
        self.wfile.write(b"data: [DONE]\n\n")
