"""Political birthdays (政治生日): the anniversary of joining the Party, greeted once a year, and the
secretary's view of the month's birthdays with a collective 主题党日 for them."""
