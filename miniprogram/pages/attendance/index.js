const { createAttendancePage } = require('./logic');

Page(createAttendancePage({ api: require('../../utils/client'), wx }));
