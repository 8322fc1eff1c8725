// Answers a member chose that the server has not yet confirmed, kept in the phone's storage per attempt:
// switching apps, losing the network or WeChat closing the page loses nothing. An answer leaves when the
// server saved it — unless the member changed it meanwhile, then the newer one waits its turn — or when
// the server refused it for good (the time is up, the question is not in this paper).
const KEY_PREFIX = 'edangwu.quiz.pending:';

const keyFor = (attemptId) => `${KEY_PREFIX}${attemptId}`;

function createPendingAnswers(wx, attemptId) {
  const key = keyFor(attemptId);
  let entries = {};
  try {
    entries = wx.getStorageSync(key) || {};
  } catch (err) {
    entries = {};
  }
  // `seq` tells a save's answer from a newer one chosen while it was on its way
  let seq = Object.values(entries).reduce((top, entry) => Math.max(top, entry.seq || 0), 0);

  // A full or failing storage must not stop the member answering: the answer is still sent.
  function persist() {
    try {
      if (Object.keys(entries).length) wx.setStorageSync(key, entries);
      else wx.removeStorageSync(key);
    } catch (err) {
      // kept in memory only
    }
  }

  return {
    // The member chose `given` for `position` (with the question's id, and the time it took in a contest).
    put(position, given, { questionId = null, msTaken = null } = {}) {
      seq += 1;
      entries[position] = { position, given, question_id: questionId, ms_taken: msTaken, seq };
      persist();
    },
    get: (position) => entries[position] || null,
    // The first waiting answer by position: a contest's are sent in the order they were answered.
    first() {
      const positions = Object.keys(entries).map(Number).sort((a, b) => a - b);
      return positions.length ? entries[positions[0]] : null;
    },
    // The server saved `entry`: it leaves unless a newer answer took its place.
    confirm(entry) {
      const current = entries[entry.position];
      if (current && current.seq === entry.seq) {
        delete entries[entry.position];
        persist();
      }
    },
    drop(position) {
      delete entries[position];
      persist();
    },
    clear() {
      entries = {};
      persist();
    },
    count: () => Object.keys(entries).length,
  };
}

module.exports = { createPendingAnswers, keyFor };
