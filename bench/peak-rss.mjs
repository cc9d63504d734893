// `node --import bench/peak-rss.mjs …`: prints the process's peak resident set size (KB) on stderr at exit.
process.on('exit', () => process.stderr.write(`peak RSS ${process.resourceUsage().maxRSS}\n`));
