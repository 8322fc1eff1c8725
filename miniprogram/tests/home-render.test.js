// Renders the home page's own WXML with the attention-card component, as the member sees it.
const fs = require('fs');
const path = require('path');
const simulate = require('miniprogram-simulate');
const { cardsFrom } = require('../pages/home/logic');

const card = simulate.load(path.join(__dirname, '../components/attention-card/index'));
const template = fs.readFileSync(path.join(__dirname, '../pages/home/index.wxml'), 'utf8');

function renderHome(data) {
  const page = simulate.load({ template, usingComponents: { 'attention-card': card }, data });
  const comp = simulate.render(page);
  comp.attach(document.createElement('parent'));
  return comp;
}

test('a new member sees four empty cards with their greeting', () => {
  const home = { member_name: '张三', branch_name: '甲一支部' };
  const comp = renderHome({ loading: false, greeting: '张三同志，您好', branch: home.branch_name, cards: cardsFrom(home) });
  expect(comp.querySelector('.header__greeting').dom.textContent).toBe('张三同志，您好');
  const cards = comp.querySelectorAll('.attention');
  expect(cards).toHaveLength(4);
  expect(cards.map((c) => c.querySelector('.card__empty').dom.textContent)).toEqual([
    '近期没有会议安排',
    '党费已缴清',
    '没有未读的手机报',
    '暂无进行中的答题',
  ]);
});

test('unpaid dues show their amount instead of the empty text', () => {
  const comp = renderHome({ loading: false, cards: cardsFrom({ unpaid_dues_fen: 4550 }) });
  const dues = comp.querySelectorAll('.attention')[1];
  expect(dues.querySelector('.card__empty')).toBeUndefined();
  expect(dues.dom.textContent).toContain('45.50 元');
});
