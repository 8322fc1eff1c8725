"""The calendar of political birthdays, as a member counts them."""

from datetime import date

from server.birthdays.dates import anniversaries_on, birthday_in, line_for, years_in_party


def test_a_leap_day_member_has_a_birthday_every_year():
    joined = date(2004, 2, 29)
    assert birthday_in(joined, 2027) == date(2027, 2, 28)
    assert birthday_in(joined, 2028) == date(2028, 2, 29)
    assert anniversaries_on(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert anniversaries_on(date(2028, 2, 28)) == [(2, 28)]
    assert anniversaries_on(date(2028, 2, 29)) == [(2, 29)]


def test_years_count_from_the_join_date_and_the_birthday_itself_counts():
    joined = date(2005, 7, 1)
    assert years_in_party(joined, date(2026, 6, 30)) == 20
    assert years_in_party(joined, date(2026, 7, 1)) == 21
    assert years_in_party(date(2004, 2, 29), date(2027, 2, 28)) == 23


def test_the_card_line_honours_fifty_years():
    assert line_for(1) == "不忘入党初心，牢记党员身份"
    assert line_for(50) == line_for(61) == "光荣在党五十年，初心永恒"
