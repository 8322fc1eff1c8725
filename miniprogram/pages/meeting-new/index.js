const { createMeetingNewPage } = require('./logic');

Page(createMeetingNewPage({ api: require('../../utils/client'), wx }));
