// Money on the phone: the server counts in integer fen, the member reads yuan with two decimals. This is
// the one place fen become text and typed yuan become fen; no page divides by 100 on its own, and no
// float ever carries an amount (a typed "0.29" is read digit by digit, never as 0.29 × 100).

// 1234 → "12.34"; -50 → "-0.50"; anything that is not an integer fen → "" (shown as nothing, not NaN).
function yuan(fen) {
  if (!Number.isSafeInteger(fen)) return '';
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

// The largest amount a member may type: 99,999.99 yuan (far above any month's dues; a slip of the finger
// adding zeros is caught here before WeChat's own payment sheet).
const MAX_TYPED_FEN = 9999999;

// What the member typed in yuan → {fen} or {error}. Empty is 0 fen. At most two decimals, no sign, no
// spaces inside, no exponent.
function fenFromYuan(text) {
  const typed = String(text === undefined || text === null ? '' : text).trim();
  if (!typed) return { fen: 0 };
  const match = /^(\d{1,5})(?:\.(\d{0,2}))?$/.exec(typed);
  if (!match) {
    return { error: /^\d+(\.\d*)?$/.test(typed) && !/\.\d{3,}/.test(typed) ? '金额不能超过 99999.99 元' : '请输入正确的金额，最多两位小数' };
  }
  const fen = Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0'));
  if (fen > MAX_TYPED_FEN) return { error: '金额不能超过 99999.99 元' };
  return { fen };
}

module.exports = { yuan, fenFromYuan, MAX_TYPED_FEN };
