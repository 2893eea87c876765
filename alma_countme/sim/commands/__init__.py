"""The countme-sim command line: one module per subcommand, each with register(subparsers) and
run(args), and the options they share.
"""
