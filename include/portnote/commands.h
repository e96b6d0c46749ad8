/* commands.h — the subcommands main dispatches to. Each takes the words
 * after "portnote" (argv[0] is the subcommand's name) and returns an exit
 * code from cli.h. */
#ifndef PORTNOTE_COMMANDS_H
#define PORTNOTE_COMMANDS_H

int pn_cmd_lookup(int argc, char **argv);
int pn_cmd_registry(int argc, char **argv);
int pn_cmd_packets(int argc, char **argv);
int pn_cmd_interfaces(int argc, char **argv);
int pn_cmd_flows(int argc, char **argv);
int pn_cmd_stats(int argc, char **argv);
int pn_cmd_audit(int argc, char **argv);
int pn_cmd_live(int argc, char **argv);
int pn_cmd_report(int argc, char **argv);

#endif
