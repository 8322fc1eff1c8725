// Words the 党费 pages share: months as members say them, and how a payment was made.

// "2026-11" → "2026年11月"; anything else is shown as it came.
function monthLabel(month) {
  const match = /^(\d{4})-(\d{2})$/.exec(String(month || ''));
  return match ? `${match[1]}年${Number(match[2])}月` : String(month || '');
}

// ["2026-11", "2026-12", "2027-01"] → "2026年11月—2027年1月（3个月）" when consecutive, else each one.
function monthsText(months) {
  const list = (months || []).map(String).sort();
  if (!list.length) return '';
  if (list.length === 1) return monthLabel(list[0]);
  const index = (m) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7));
  const consecutive = list.every((m, i) => i === 0 || index(m) === index(list[i - 1]) + 1);
  if (consecutive) return `${monthLabel(list[0])}—${monthLabel(list[list.length - 1])}（${list.length}个月）`;
  return list.map(monthLabel).join('、');
}

const CHANNEL_LABELS = { wechat: '微信支付', cash: '现金', transfer: '转账' };

function channelLabel(channel) {
  return CHANNEL_LABELS[channel] || '其他';
}

// Who paid for someone else (代缴), or ''. The server names a payer on every payment: the member on a
// WeChat payment of their own, the relative on a 代缴, and the secretary who recorded a cash or transfer
// payment, who is no 代缴人. A `by_proxy` flag from the server settles it; without one a WeChat payment
// whose payer is not the member (by name, when the name is known) is a 代缴.
function proxyPayer(payment, ownName) {
  const payer = payment.payer_name || '';
  if (typeof payment.by_proxy === 'boolean') return payment.by_proxy ? payer : '';
  if (payment.channel !== 'wechat' || !payer || !ownName) return '';
  return payer !== ownName ? payer : '';
}

// What a member needs to know about a payment that did not simply pay its months, or '' (the server's
// `status`). `unapplied` is money WeChat took after the months had been paid otherwise: it paid for
// nothing and is refunded, so it is never shown as paid.
function statusNote(status) {
  if (status === 'unapplied') return '已收款，未计入党费：所选月份已由另一笔缴费缴清，党委将原路退回这笔钱';
  if (status === 'reversed') return '已冲正：这笔登记有误，已撤销，所含月份恢复为未缴';
  return '';
}

module.exports = { monthLabel, monthsText, channelLabel, proxyPayer, statusNote };
