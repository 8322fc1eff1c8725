const { createProfilePage } = require('./logic');

Page(createProfilePage({ api: require('../../utils/client'), wx }));
