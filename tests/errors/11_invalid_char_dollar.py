name = "ada"
$greeting = "hi " + name
