/**
 * @jest-environment node
 *
 * An exam end to end, as a member would take it: the mini-program's own client, in node, against a live
 * server; wx.login and the phone number from the WeChat emulator. Half the answers are saved, the phone
 * loses everything it held (a new client, as after the app was killed), the paper is resumed from the
 * server with those answers, the rest are saved and the exam submitted. Started by
 * tests/quizzes/test_quiz_end_to_end.py, which checks what followed on the server.
 */
const { createClient } = require('../utils/api');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const world = JSON.parse(process.env.CONTRACT_QUIZ || '{}');

async function post(base, path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

function nodeWx(user) {
  const storage = {};
  return {
    getStorageSync: (key) => storage[key],
    setStorageSync: (key, value) => {
      storage[key] = value;
    },
    removeStorageSync: (key) => {
      delete storage[key];
    },
    login: ({ success, fail }) => post(EMULATOR, '/_phone/login', { user }).then(success, fail),
    request: ({ url, method, data, header, success, fail }) => {
      fetch(url, { method, headers: header, body: method === 'GET' ? undefined : JSON.stringify(data) })
        .then(async (res) => success({ statusCode: res.status, data: await res.json().catch(() => null) }))
        .catch(fail);
    },
    showModal: ({ success }) => success({ confirm: false }),
    showToast() {},
  };
}

/** What to tap for ``item`` to answer right: the key's option texts found in this member's order. */
function rightAnswer(item) {
  const key = world.key[item.stem];
  if (item.kind === 'true_false') return [key === '正确' ? 0 : 1];
  return key.map((text) => item.options.indexOf(text)).sort((a, b) => a - b);
}

function wrongAnswer(item) {
  const right = rightAnswer(item);
  if (item.kind === 'true_false') return [1 - right[0]];
  return [item.options.findIndex((_, index) => !right.includes(index))];
}

test('a member takes the exam, loses the connection half-way, resumes, submits and sees the score', async () => {
  const { user, phone } = world.member;
  let api = createClient({ wx: nodeWx(user), baseUrl: SERVER });
  await api.login();
  const { code } = await post(EMULATOR, '/_phone/phone_code', { user, phone });
  await api.bindWithPhone(code);

  const { items: quizzes } = await api.get('/api/quizzes');
  const exam = quizzes.find((quiz) => quiz.title === world.title);
  expect(exam).toMatchObject({ kind: 'exam', state: 'open', attempts_left: 1, question_count: world.count });

  const paper = await api.post(`/api/quizzes/${exam.id}/attempts`);
  expect(paper.items).toHaveLength(world.count);
  expect(new Date(paper.deadline_at) > new Date(paper.server_now)).toBe(true);
  const half = paper.items.slice(0, world.count / 2);
  for (const item of half) {
    const saved = await api.put(`/api/attempts/${paper.attempt_id}/items/${item.position}`, {
      given: rightAnswer(item),
      question_id: item.question_id,
    });
    expect(saved.saved).toBe(true);
  }

  // The phone loses its network and the app is killed: a new client logs in again and resumes.
  api = createClient({ wx: nodeWx(user), baseUrl: SERVER });
  await api.login();
  const resumed = await api.get(`/api/attempts/${paper.attempt_id}`);
  expect(resumed.items.map((item) => item.question_id)).toEqual(paper.items.map((item) => item.question_id));
  expect(resumed.items.slice(0, half.length).map((item) => item.given)).toEqual(half.map(rightAnswer));
  expect(resumed.items.slice(half.length).every((item) => item.given === null)).toBe(true);
  const again = await api.post(`/api/quizzes/${exam.id}/attempts`);
  expect(again.attempt_id).toBe(paper.attempt_id);

  const rest = resumed.items.slice(half.length);
  for (const [index, item] of rest.entries()) {
    const given = index === 0 ? wrongAnswer(item) : rightAnswer(item);
    await api.put(`/api/attempts/${paper.attempt_id}/items/${item.position}`, { given });
  }
  const outcome = await api.post(`/api/attempts/${paper.attempt_id}/submit`);
  const right = world.count - 1;
  expect(outcome).toMatchObject({ correct: right, total: world.count, passed: true, reveal: true });
  expect(outcome.score).toBe(Math.round((100 * right) / world.count));
  expect(outcome.points_awarded).toBe(right + world.passPoints);

  const result = await api.get(`/api/attempts/${paper.attempt_id}/result`);
  expect(result.items.filter((item) => !item.correct)).toHaveLength(1);
  expect(result.items.every((item) => item.explanation.length > 0)).toBe(true);
  const refused = await api.put(`/api/attempts/${paper.attempt_id}/items/1`, { given: [0] }).catch((err) => err);
  expect(refused.code).toBe('attempt_submitted');

  const points = await api.get('/api/me/points');
  expect(points).toMatchObject({ total: outcome.points_awarded, today: outcome.points_awarded });
  const board = await api.get('/api/leaderboard?scope=branch&period=month');
  expect(board.me).toEqual({ rank: 1, points: outcome.points_awarded });
  expect(board.items[0]).toMatchObject({ rank: 1, name: world.member.name });
  const book = await api.get('/api/me/wrong-answers');
  expect(book.total).toBe(1);
});
