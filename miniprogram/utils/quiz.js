// What the 学习答题 pages share: their paths, the names of quiz and question kinds, options as a member
// reads them, durations and countdowns in words, and the server's clock as the phone should read it.
const { beijingParts } = require('./time');

const QUIZZES_PAGE = '/pages/quizzes/index';
const TAKE_PAGE = '/pages/quiz-take/index';
const RESULT_PAGE = '/pages/quiz-result/index';
const WRONG_ANSWERS_PAGE = '/pages/wrong-answers/index';
const POINTS_PAGE = '/pages/points/index';
const LEADERBOARD_PAGE = '/pages/leaderboard/index';

const takeQuizUrl = (quizId) => `${TAKE_PAGE}?quiz=${quizId}`;
const takeAttemptUrl = (attemptId) => `${TAKE_PAGE}?attempt=${attemptId}`;
const resultUrl = (attemptId, lost = 0) => `${RESULT_PAGE}?attempt=${attemptId}${lost > 0 ? `&lost=${lost}` : ''}`;

const KIND_LABELS = { practice: '每日练习', exam: '考试', contest: '竞答' };
const QUESTION_KIND_LABELS = { single: '单选题', multiple: '多选题', true_false: '判断题' };
// A true/false question has no options of its own: the server counts 正确 as 0 and 错误 as 1.
const TRUE_FALSE = ['正确', '错误'];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SOURCE_LABELS = { practice: '每日练习', exam: '考试', contest: '竞答', reading: '阅读手机报' };

// The options as the member reads them: [{index, letter, text}], `index` being what the server is sent.
function optionsOf(kind, options) {
  if (kind === 'true_false') return TRUE_FALSE.map((text, index) => ({ index, letter: '', text }));
  return (options || []).map((text, index) => ({ index, letter: LETTERS[index] || String(index + 1), text }));
}

// A chosen set of options in words: "A、C", "正确"; '' for none.
function choiceText(kind, given) {
  if (!Array.isArray(given) || !given.length) return '';
  const sorted = given.slice().sort((a, b) => a - b);
  if (kind === 'true_false') return sorted.map((index) => TRUE_FALSE[index] || '').join('、');
  return sorted.map((index) => LETTERS[index] || String(index + 1)).join('、');
}

const isAnswered = (given) => Array.isArray(given) && given.length > 0;

// 1800 → "30 分钟", 5400 → "1 小时 30 分钟", 20 → "20 秒", 90 → "1 分 30 秒".
function durationText(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s} 秒`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} 分 ${s % 60} 秒` : `${s / 60} 分钟`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.round((s % 3600) / 60);
  return minutes ? `${hours} 小时 ${minutes} 分钟` : `${hours} 小时`;
}

const pad = (n) => String(n).padStart(2, '0');

// What is left on a countdown, rounded up to the second: "29:59", "1:02:03", "0:00" once over.
function clockText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

// When, in Beijing time, as a list line reads it: "今天 18:00", "明天 09:00", "12月5日 18:00", and the
// year only when it is not this year's.
function whenText(iso, now) {
  if (!iso) return '';
  const { day, time } = beijingParts(new Date(iso));
  const today = beijingParts(now).day;
  if (day === today) return `今天 ${time}`;
  if (day === beijingParts(new Date(now.getTime() + 24 * 3600 * 1000)).day) return `明天 ${time}`;
  if (day === beijingParts(new Date(now.getTime() - 24 * 3600 * 1000)).day) return `昨天 ${time}`;
  const [year, month, date] = day.split('-');
  return `${year === today.slice(0, 4) ? '' : `${year}年`}${Number(month)}月${Number(date)}日 ${time}`;
}

// The server's clock, read on the phone: the server's `server_now` against the phone's own clock when the
// answer arrived. A phone set hours wrong still counts down the server's deadline truly.
function createServerClock(now) {
  let offset = 0;
  return {
    sync(serverNow) {
      const server = Date.parse(serverNow);
      if (!Number.isNaN(server)) offset = server - now();
    },
    now: () => now() + offset,
  };
}

// A record id from a page's query: a positive integer, or null.
function idFrom(value) {
  const text = String(value === undefined || value === null ? '' : value);
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : null;
}

// Back to the page below (the quiz list, usually); opened on its own (from a reminder, say), to the list.
function backToList(wx) {
  wx.navigateBack({ delta: 1, fail: () => wx.redirectTo({ url: QUIZZES_PAGE }) });
}

module.exports = {
  QUIZZES_PAGE,
  TAKE_PAGE,
  RESULT_PAGE,
  WRONG_ANSWERS_PAGE,
  POINTS_PAGE,
  LEADERBOARD_PAGE,
  takeQuizUrl,
  takeAttemptUrl,
  resultUrl,
  KIND_LABELS,
  QUESTION_KIND_LABELS,
  SOURCE_LABELS,
  TRUE_FALSE,
  optionsOf,
  choiceText,
  isAnswered,
  durationText,
  clockText,
  whenText,
  createServerClock,
  idFrom,
  backToList,
};
