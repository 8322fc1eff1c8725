const { createMeetingPage } = require('./logic');

Page(createMeetingPage({ api: require('../../utils/client'), wx }));
