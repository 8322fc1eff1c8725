// Times arrive in UTC (ISO 8601); members read them in Beijing time.
const OFFSET_MS = 8 * 3600 * 1000;

function pad(n) {
  return String(n).padStart(2, '0');
}

// A moment's Beijing calendar day and clock time, in the formats the date and time pickers use.
function beijingParts(moment) {
  const d = new Date(moment.getTime() + OFFSET_MS);
  return {
    day: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`,
  };
}

function beijing(iso) {
  if (!iso) return '';
  const { day, time } = beijingParts(new Date(iso));
  return `${day} ${time}`;
}

module.exports = { beijing, beijingParts };
