const path = require('path');
const simulate = require('miniprogram-simulate');

const pageState = simulate.load(path.join(__dirname, '../components/page-state/index'));

function render(props) {
  const comp = simulate.render(pageState, props);
  comp.attach(document.createElement('parent'));
  return comp;
}

test('an error says so and offers a retry that reaches the page', async () => {
  const comp = render({ state: 'error', message: '网络不给力' });
  expect(comp.querySelector('.page-state__text').dom.textContent).toBe('网络不给力');
  const retried = jest.fn();
  comp.addEventListener('retry', retried);
  comp.querySelector('.page-state__retry').dispatchEvent('tap');
  await simulate.sleep(0);
  expect(retried).toHaveBeenCalled();
});

test('ready shows nothing; ended speaks for itself without a retry', () => {
  expect(render({ state: 'ready' }).querySelector('.page-state')).toBeUndefined();
  const ended = render({ state: 'ended' });
  expect(ended.querySelector('.page-state__text').dom.textContent).toBe('会议已结束');
  expect(ended.querySelector('.page-state__retry')).toBeUndefined();
});
