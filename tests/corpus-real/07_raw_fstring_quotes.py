# In a raw f-string a backslash keeps the next quote from ending the string.
symbol = "s"
a = rf'`{symbol}\'', "next"
b = rf"[a-z]*(?={symbol}*[({{\"'])"
c = rf'\{symbol}' + rf'\\'
