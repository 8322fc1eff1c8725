// 书记信箱 / 党委信箱 and 留言板 as the pages show them: a letter's row and detail, a post, and the limits the
// server holds too (a subject of 40 characters, a letter of 2,000, a post of 500).
const { beijingDay } = require('./time');

const SUBJECT_MAX = 40;
const BODY_MAX = 2000;
const POST_MAX = 500;

function letterView(letter) {
  return {
    id: letter.id,
    subject: letter.subject,
    body: letter.body,
    box: `${letter.addressee_label} · ${letter.org_name}`,
    anonymous: Boolean(letter.anonymous),
    status: letter.status,
    statusLabel: letter.status_label,
    date: beijingDay(letter.received_at),
    reply: letter.reply || '',
    repliedDate: letter.replied_at ? beijingDay(letter.replied_at) : '',
  };
}

function postView(post) {
  return {
    id: post.id,
    author: post.author,
    body: post.body,
    date: beijingDay(post.created_at),
    mine: Boolean(post.mine),
    waiting: post.status === 'pending',
  };
}

// What is wrong with a letter before it is sent, in the words of the form; '' when it may go.
function letterProblem({ addressee, subject, body }) {
  if (!addressee) return '请选择写给谁';
  if (!subject.trim()) return '请填写主题';
  if (subject.trim().length > SUBJECT_MAX) return `主题不能超过 ${SUBJECT_MAX} 字`;
  if (!body.trim()) return '请填写内容';
  if (body.trim().length > BODY_MAX) return `内容不能超过 ${BODY_MAX} 字`;
  return '';
}

module.exports = { SUBJECT_MAX, BODY_MAX, POST_MAX, letterView, postView, letterProblem };
