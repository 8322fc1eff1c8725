const { createMeetingsPage } = require('./logic');

Page(createMeetingsPage({ api: require('../../utils/client'), wx }));
