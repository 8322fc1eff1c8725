// One open meeting of 甲一支部 as GET /api/meetings/<id> answers it, shared by the meeting pages' tests.
const MEETING = {
  id: 7,
  title: '十一月主题党日',
  kind_label: '主题党日',
  organiser: '甲一支部',
  starts_at: '2026-11-24T01:00:00+00:00',
  ends_at: '2026-11-24T03:00:00+00:00',
  checkin_opens_at: '2026-11-24T00:30:00+00:00',
  place: '三楼会议室',
  needs_location: false,
  my_attendance: null,
  my_leave: null,
  can_scan_members: false,
  phase: 'open',
  leave_open: true,
  checkin_code_ttl: 15,
  latitude: null,
  longitude: null,
};

module.exports = { MEETING };
