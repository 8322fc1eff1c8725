// Times arrive in UTC (ISO 8601); members read them in Beijing time.
const OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

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

// "2026年11月24日": the Beijing calendar day, as a newspaper's date line reads.
function beijingDay(iso) {
  if (!iso) return '';
  const [year, month, date] = beijingParts(new Date(iso)).day.split('-');
  return `${year}年${Number(month)}月${Number(date)}日`;
}

// When something arrived, as short as a list row needs: "今天 09:30", "昨天 18:05", "11月20日" this year,
// "2025年11月20日" before. Days are Beijing days.
function arrivedText(iso, now) {
  if (!iso) return '';
  const { day, time } = beijingParts(new Date(iso));
  const today = beijingParts(now).day;
  if (day === today) return `今天 ${time}`;
  if (day === beijingParts(new Date(now.getTime() - DAY_MS)).day) return `昨天 ${time}`;
  const [year, month, date] = day.split('-');
  const sameYear = year === today.slice(0, 4);
  return `${sameYear ? '' : `${year}年`}${Number(month)}月${Number(date)}日`;
}

module.exports = { beijing, beijingParts, beijingDay, arrivedText };
