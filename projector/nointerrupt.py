"""Imported first by each job server: the server and every job it forks ignore SIGINT.

In Jupyter, "interrupt kernel" sends SIGINT to the kernel's whole process group, the job servers and their
jobs included; a running projection (or the warm server's UMAP warm-up) died of KeyboardInterrupt. A job
is ended by its Cancel button (SIGTERM/SIGKILL from the background manager), never by a Ctrl-C meant for
the notebook cell."""
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
