from fwguide.cli import main

raise SystemExit(main())
