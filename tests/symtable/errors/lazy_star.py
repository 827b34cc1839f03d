lazy from os import *
