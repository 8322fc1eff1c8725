const { createBirthdayCardPage } = require('./logic');

Page(createBirthdayCardPage({ api: require('../../utils/client'), wx }));
