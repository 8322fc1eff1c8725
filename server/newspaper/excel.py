"""Excel exports of the newspaper's statistics: one issue (概况, 按文章, 按支部) and the list of issues."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from server.newspaper.models import NewsIssue
from server.newspaper.stats import ArticleStats, BranchStats, Figures, IssueStats
from server.spreadsheets import text_cell, workbook_bytes
from server.timezone import to_local

FIGURE_HEADER = ("送达人数", "阅读人数", "阅读率", "读完人数", "读完率", "点赞", "转发次数", "经转发阅读")


def _percent(sheet, value: float | None):
    """A rate as a number Excel shows as a percentage (sortable), or empty when there is nothing to divide."""
    if value is None:
        return ""
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = "0.0%"
    return cell


def _figures(sheet, f: Figures) -> list:
    rates = (_percent(sheet, f.read_rate), _percent(sheet, f.finish_rate))
    return [f.in_inbox, f.read, rates[0], f.finished, rates[1], f.likes, f.forwards, f.forward_opens]


def _time(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def issue_workbook(
    issue: NewsIssue, figures: IssueStats, articles: list[ArticleStats], branches: list[BranchStats]
) -> bytes:
    book = Workbook(write_only=True)
    summary = book.create_sheet("概况")
    summary.append([text_cell(summary, f"{issue.org.name} 手机报 第 {issue.number} 期 {issue.title}")])
    summary.append(["发布时间（北京时间）", _time(issue.published_at)])
    summary.append(["状态", issue.status_label])
    rows = [
        ("发送范围人数", figures.recipients),
        ("已进消息列表", figures.in_inbox),
        ("已推送", figures.pushed),
        ("待推送", figures.waiting),
        ("无推送额度", figures.no_quota),
        ("推送失败", figures.failed),
        ("推送结果未知", figures.uncertain),
        ("未绑定微信（无推送）", figures.without_push),
    ]
    for label, value in rows:
        summary.append([label, value])
    summary.append([])
    summary.append(list(FIGURE_HEADER))
    summary.append(_figures(summary, figures))

    by_article = book.create_sheet("按文章")
    by_article.append(["序号", "文章", *FIGURE_HEADER])
    for article in articles:
        by_article.append([article.position, text_cell(by_article, article.title), *_figures(by_article, article)])

    by_branch = book.create_sheet("按支部")
    by_branch.append(["支部", *FIGURE_HEADER])
    for branch in branches:
        by_branch.append([text_cell(by_branch, branch.name), *_figures(by_branch, branch)])
    return workbook_bytes(book)


def issues_workbook(issues: list[NewsIssue], figures: dict[int, Figures]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("手机报统计")
    sheet.append(["发布组织", "期号", "标题", "发布时间（北京时间）", "状态", *FIGURE_HEADER])
    for issue in issues:
        sheet.append(
            [
                text_cell(sheet, issue.org.name),
                issue.number,
                text_cell(sheet, issue.title),
                _time(issue.published_at),
                issue.status_label,
                *_figures(sheet, figures[issue.id]),
            ]
        )
    return workbook_bytes(book)
