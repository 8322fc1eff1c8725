// One item on the home page that may need the member's attention: the next meeting, and (once those
// features exist) dues, a newspaper, a quiz.
Component({
  properties: {
    title: { type: String, value: '' },
    empty: { type: Boolean, value: true },
    emptyText: { type: String, value: '暂无' },
    link: { type: String, value: '' },
  },
  methods: {
    onTap() {
      if (this.data.empty || !this.data.link) return;
      this.triggerEvent('open', { link: this.data.link });
    },
  },
});
