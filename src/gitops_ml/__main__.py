from gitops_ml.cli import main

raise SystemExit(main())
