from fwguide.cli import main

main()
