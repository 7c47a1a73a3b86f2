"""After an upload the interview's document and topic choices include the new bank, so it can be practised at once.

Through ``gradio_client`` against a real ``qbank serve``: Gradio checks a dropdown's value
against that session's choices, so starting an interview on the new document and its
topic only works when the upload refreshed them.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration

BANK = """# 搜索与滤波算法面试题

### 1. 什么是蒙特卡洛树搜索的回溯步骤？

回溯步骤把模拟得到的结果沿着选择路径逐层传回根节点，更新每个节点的访问次数和累计价值。

### 2. 解释卡尔曼滤波的预测与更新两步。

预测步用状态转移模型推算下一时刻的状态和协方差，更新步用观测值和卡尔曼增益修正预测。
"""


def test_an_uploaded_bank_can_be_practised_at_once(server_url, tmp_path):
    from gradio_client import Client, handle_file

    from ingest.topics import OTHER

    path = tmp_path / "search_filter_qa.md"
    path.write_text(BANK, encoding="utf-8")
    client = Client(server_url, verbose=False)
    try:
        with pytest.raises(Exception, match="not in the list of choices"):    # not there before the upload
            client.predict(["搜索与滤波算法面试题"], [], 1, "random", "upload-test", api_name="/interview_start")
        result = client.predict([handle_file(str(path))], "", "", "", api_name="/upload")
        assert "✅" in result[0] and "search_filter_qa.md" in result[0]
        started = client.predict(["搜索与滤波算法面试题"], [OTHER], 2, "random", "upload-test",
                                 api_name="/interview_start")
        assert re.search(r"0/2", started[0])
        assert "搜索与滤波算法面试题" in started[1]
        assert any(q in started[1] for q in ("蒙特卡洛树搜索", "卡尔曼滤波"))
    finally:
        client.close()
