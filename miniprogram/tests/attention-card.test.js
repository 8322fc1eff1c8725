const path = require('path');
const simulate = require('miniprogram-simulate');

const card = simulate.load(path.join(__dirname, '../components/attention-card/index'));

test('an empty card shows its empty text and opens nothing', () => {
  const comp = simulate.render(card, { title: '下次会议', emptyText: '近期没有会议安排' });
  comp.attach(document.createElement('parent'));
  expect(comp.querySelector('.card__title').dom.textContent).toBe('下次会议');
  expect(comp.querySelector('.card__empty').dom.textContent).toBe('近期没有会议安排');
  const opened = jest.fn();
  comp.addEventListener('open', opened);
  comp.querySelector('.card').dispatchEvent('tap');
  expect(opened).not.toHaveBeenCalled();
});

test('a filled card opens its link when tapped', async () => {
  const comp = simulate.render(card, { title: '待缴党费', empty: false, link: '/pages/dues/index' });
  comp.attach(document.createElement('parent'));
  expect(comp.querySelector('.card__empty')).toBeUndefined();
  const opened = jest.fn();
  comp.addEventListener('open', opened);
  comp.querySelector('.card').dispatchEvent('tap');
  await simulate.sleep(0);
  expect(opened).toHaveBeenCalledWith(expect.objectContaining({ detail: { link: '/pages/dues/index' } }));
});
