"""What the votes teach, end to end: the most reported fix, the chart, the failing entries."""

from __future__ import annotations

import io

from PIL import Image

from bot.charts import BEST


def _steps(result) -> str:
    return next(f for f in result.embeds[0]["fields"] if f["name"] == "Steps")["value"]


async def _vote(fake, answer, picks: list[str]) -> None:
    for n, step in enumerate(picks):
        voted = await fake.click(
            f"seb:v:{step}:auth:73", answer.message, user=fake.make_user(f"v{n}")
        )
        assert "Saved" in voted.content


async def test_the_step_most_reported_to_work_is_highlighted_above_the_steps(fake, bot):
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    assert "Most reported fix" not in _steps(answer)
    await _vote(fake, answer, ["2", "2", "2", "2", "2", "none"])
    again = await fake.slash_command("spotify-error", {"query": "auth:73"})
    lines = _steps(again).splitlines()
    assert lines[0] == "✅ Most reported fix: step 2 — worked for 5 of 6"
    # the steps keep the catalog's order under it
    assert [line.split(".**")[0] for line in lines[1:4]] == ["**1", "**2", "**3"]


async def test_fix_stats_draws_the_chart_and_lists_what_fails(fake, bot):
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    await _vote(fake, answer, ["1", "none", "none", "none", "3"])
    mod = fake.make_user("mod", roles=["Moderator"])
    report = await fake.slash_command("fix-stats", user=mod)
    failing = next(f for f in report.embeds[0]["fields"] if f["name"] == "Fails most often")
    assert failing["value"] == "`auth:73` none worked for 3 of 5 (60%)"
    chart = next(f for f in report.files if f.filename.endswith(".png"))
    assert report.embeds[0]["image"]["url"] == f"attachment://{chart.filename}"
    image = Image.open(io.BytesIO(chart.data)).convert("RGB")
    assert image.width == 720
    # no step stands out with these votes: nothing is drawn as the best
    assert BEST not in {colour for _, colour in image.getcolors(1 << 16)}
