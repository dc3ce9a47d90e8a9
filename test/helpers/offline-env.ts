// Preloaded into every test process (package.json tap.node-arg) and inherited by the children
// they spawn: the suite's network traffic stays on loopback, so the product's forward lookups of
// the domain names rules mention (fd.sip.name and friends; dozens in the upstream sandbox rules)
// are turned off. Tests of the lookups inject their own resolver or unset this for /etc/hosts.
process.env.LANNER_DNS_LOOKUP ??= 'off'
