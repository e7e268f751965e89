# evctl: the control client (written by the ctl work; see ctl/).
