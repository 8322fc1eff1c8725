const { createDuesReceiptPage } = require('./logic');

Page(createDuesReceiptPage({ api: require('../../utils/client'), wx }));
