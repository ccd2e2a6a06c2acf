// Preloaded into every server the launcher starts (`node --import
// parent-watch.mjs dist/main.js`): when the launcher is gone (the
// process's parent changed: it was killed, or crashed), the server sends
// itself SIGTERM and so shuts down cleanly, instead of running on
// unattended in its own process group. The timer never keeps a server
// alive by itself.

const launcher = process.ppid;
const CHECK_MS = 1_000;

const timer = setInterval(() => {
  if (process.ppid !== launcher) {
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }
}, CHECK_MS);
timer.unref();
