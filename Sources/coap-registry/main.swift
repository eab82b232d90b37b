RegistryCommand.main()
