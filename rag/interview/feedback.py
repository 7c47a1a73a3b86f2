"""Short feedback on a grade: what was covered, what was missed, what was wrong (Chinese by default)."""

from __future__ import annotations

from ingest.keypoints import split_label

MAX_LISTED = 3


def point_name(point: str, limit: int = 24) -> str:
    """A short name for a key point: its label, else its first words."""
    label, rest = split_label(point)
    name = label or rest or point
    return name if len(name) <= limit else name[:limit] + "…"


def feedback_text(score: int, points, claims, on_topic: float, lang: str = "zh") -> str:
    """One or two sentences of feedback for a grade.

    Args:
        score: the 0–100 score.
        points: the :class:`PointGrade` of each key point.
        claims: wrong claims found in the answer.
        on_topic: the on-topic measure (0..1).
        lang: ``zh`` or ``en``.
    """
    covered = [p for p in points if p.status == "covered"]
    partial = [p for p in points if p.status == "partial"]
    missing = [p for p in points if p.status == "missing"]
    wrong = [p for p in points if p.status == "contradicted"]
    stray = [c for c in claims if c.point is None]
    n = len(points)
    if lang != "zh":
        if score == 0 and on_topic < 0.25:
            return "The answer does not address this question; see the reference answer."
        parts = [f"Score {score}/100: {len(covered)} of {n} key points covered, {len(partial)} partly."]
        if wrong or stray:
            bad = [f"“{p.evidence}”" for p in wrong][:MAX_LISTED] + [f"“{c.evidence}”" for c in stray][:MAX_LISTED]
            parts.append("Contradicts the reference: " + "; ".join(bad[:MAX_LISTED]) + ".")
        if missing:
            parts.append("Missed: " + "; ".join(point_name(p.text) for p in missing[:MAX_LISTED]) + ".")
        return " ".join(parts)
    if score == 0 and on_topic < 0.25:
        return "回答没有切中这道题，请对照参考答案重新组织。"
    parts = [f"得分 {score}/100：{n} 个要点中覆盖 {len(covered)} 个，部分覆盖 {len(partial)} 个。"]
    if wrong or stray:
        bad = [f"「{p.evidence}」" for p in wrong] + [f"「{c.evidence}」" for c in stray]
        parts.append("与参考答案矛盾：" + "；".join(bad[:MAX_LISTED]) + "。")
    if missing:
        parts.append("遗漏：" + "；".join(point_name(p.text) for p in missing[:MAX_LISTED])
                     + ("等" if len(missing) > MAX_LISTED else "") + "。")
    if not missing and not wrong and not stray and not partial:
        parts.append("要点齐全。")
    return "".join(parts)
