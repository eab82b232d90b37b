FirmwareCommand.main()
