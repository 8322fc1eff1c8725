// Times arrive in UTC (ISO 8601); members read them in Beijing time.
const OFFSET_MS = 8 * 3600 * 1000;

function pad(n) {
  return String(n).padStart(2, '0');
}

function beijing(iso) {
  if (!iso) return '';
  const d = new Date(new Date(iso).getTime() + OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

module.exports = { beijing };
