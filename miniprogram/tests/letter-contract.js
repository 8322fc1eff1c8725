// What the phone's 写信, 我的信件, 信件 and 留言板 pages rely on from the member API (server/mailbox/api.py):
// checked against a live server's /api/openapi.json by tests/letter.contract.test.js, and against the fakes
// the page tests use by tests/letter-pages.test.js (shapes in openapi-check.js's terms).
const LETTER = {
  id: 'integer',
  addressee: 'string',
  addressee_label: 'string',
  org_name: 'string',
  subject: 'string',
  body: 'string',
  anonymous: 'boolean',
  status: 'string',
  status_label: 'string',
  received_at: 'string',
  reply: 'string',
  replied_at: 'string',
};
const prefixed = (prefix, fields) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [`${prefix}${k}`, v]));

const LETTER_CONTRACT = [
  {
    method: 'get',
    path: '/api/mailbox',
    status: '200',
    response: {
      mailboxes: 'array',
      'mailboxes[].addressee': 'string',
      'mailboxes[].label': 'string',
      'mailboxes[].org_name': 'string',
      anonymity_note: 'string',
    },
  },
  { method: 'post', path: '/api/letters', body: ['addressee', 'subject', 'body', 'anonymous'], status: '201', response: LETTER },
  { method: 'get', path: '/api/letters', status: '200', response: { letters: 'array', ...prefixed('letters[].', LETTER) } },
  { method: 'get', path: '/api/letters/{}', status: '200', response: LETTER },
  {
    method: 'get',
    path: '/api/board',
    status: '200',
    response: {
      branch_name: 'string',
      premoderated: 'boolean',
      posts: 'array',
      'posts[].id': 'integer',
      'posts[].author': 'string',
      'posts[].body': 'string',
      'posts[].created_at': 'string',
      'posts[].mine': 'boolean',
      'posts[].status': 'string',
    },
  },
  { method: 'post', path: '/api/board', body: ['body'], status: '201', response: { id: 'integer', status: 'string' } },
];

module.exports = { LETTER_CONTRACT };
