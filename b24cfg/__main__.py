from b24cfg.cli.main import run

run()
