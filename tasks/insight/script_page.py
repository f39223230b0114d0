"""What a script's page draws: its Trends turned into the three charts and their tables."""

from tasks.insight import charts
from tasks.insight.trends import BAR_STATUSES, Trends
from tasks.models import Status

STATUS_LABELS = {status: Status(status).label.lower() for status in BAR_STATUSES}


def bucket_label(trends: Trends, start) -> str:
    return start.strftime("%H:00 %d %b" if trends.unit == "hour" else "%a %d %b")


def runs_chart(trends: Trends) -> charts.Chart:
    columns = [(bucket_label(trends, bucket.start), bucket.counts) for bucket in trends.buckets]
    return charts.stacked_bars(columns, BAR_STATUSES, STATUS_LABELS)


def durations_chart(trends: Trends) -> charts.Chart:
    values = [duration.total_seconds() for _, duration in trends.durations]
    titles = [
        f"{created.strftime('%Y-%m-%d %H:%M')}: {duration.total_seconds():.2f} s"
        for created, duration in trends.durations
    ]
    lines = [
        (percentile.total_seconds(), css, f"{name} {percentile.total_seconds():.2f} s")
        for name, css, percentile in (("p50", "p50", trends.p50), ("p95", "p95", trends.p95))
        if percentile is not None
    ]
    return charts.points_with_lines(values, lines, titles)


def memory_chart(trends: Trends) -> charts.Chart:
    return charts.polyline([bucket.peak_memory_kb for bucket in trends.buckets])


def sparkline(durations: list[float]) -> charts.Chart:
    return charts.polyline(durations, width=80, height=20)
