"""书记信箱 / 党委信箱 (members write, secretaries and committees reply) and the branch message board (留言板)."""
