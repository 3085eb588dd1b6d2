/*
 * reconcile.h - what hvctld does when it starts, before it answers
 * anyone: load the definitions, re-adopt the domains that kept running
 * while it was down, note the ones that vanished meanwhile, and start the
 * autostart domains (once per host boot, as libvirtd does: a domain the
 * administrator shut down stays down when only the agent restarts).
 */
#ifndef HVCTLD_RECONCILE_H
#define HVCTLD_RECONCILE_H

struct agent;

/* Definitions from the database into the domain table. */
int reconcile_load(struct agent *a);
/* The runtime directory against the table and the database. */
int reconcile_runtime(struct agent *a);
/* Start the autostart domains, unless done since the host booted. */
void reconcile_autostart(struct agent *a);

#endif /* HVCTLD_RECONCILE_H */
