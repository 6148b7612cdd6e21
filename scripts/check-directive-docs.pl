#!/usr/bin/env perl
# Checks that the README documents every directive of the built module, and only those.
# The module's own table is the truth: httpd -L lists each directive the loaded mod_otp.so
# registers, with its docs string and where it is allowed. For each one the README must have
# a "### Name" section (several names may share one: "### A / B") with the rows Description,
# Syntax (naming the directive), Default and Context, and the Context must say what httpd
# enforces (directory and .htaccess only where httpd allows them). Every OTP* section of the
# README must name a directive that exists.
#
# Usage: check-directive-docs.pl MODULE_SO README [--drop NAME]
#   --drop NAME  checks as if NAME's README section were missing (the test that this check
#                can fail).
use strict;
use warnings;
use File::Spec;
use File::Temp qw(tempdir);

my ($module, $readme, @rest) = @ARGV;
die "usage: $0 MODULE_SO README [--drop NAME]\n" unless $module && $readme && -f $module;
$module = File::Spec->rel2abs($module);
my $drop = '';
$drop = $rest[1] if @rest == 2 && $rest[0] eq '--drop';

sub find_httpd {
    for my $candidate (qw(/usr/sbin/apache2 /usr/sbin/httpd)) { return $candidate if -x $candidate }
    die "no httpd binary found\n";
}

sub modules_dir {
    my $apxs = -x '/usr/bin/apxs' ? '/usr/bin/apxs' : 'apxs';
    chomp(my $dir = `$apxs -q LIBEXECDIR 2>/dev/null`);
    return $dir || '/usr/lib/apache2/modules';
}

# name => { allowed => text of httpd's "Allowed in" lines }
sub directives_of_module {
    my $dir = tempdir(CLEANUP => 1);
    my $mods = modules_dir();
    open my $conf, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!\n";
    print $conf "ServerRoot $dir\nLoadModule mpm_prefork_module $mods/mod_mpm_prefork.so\n",
        "LoadModule otp_module $module\nErrorLog /dev/null\n";
    close $conf;
    my $httpd = find_httpd();
    my @out = `$httpd -d $dir -f $dir/httpd.conf -L 2>&1`;
    die "httpd -L failed:\n@out" if $?;
    my (%found, $current);
    for (@out) {
        if (/^(\S+) \(mod_otp\.c(?:pp)?\)$/) { $current = $1; $found{$current} = { allowed => '' }; next }
        if (/^\S/) { undef $current; next }
        $found{$current}{allowed} .= $_ if $current && /Allowed in|when AllowOverride/;
    }
    die "httpd -L listed no mod_otp directive:\n@out" unless %found;
    return \%found;
}

# name => { rows => { Description => ..., ... }, heading => ... }
sub documented_directives {
    open my $fh, '<', $readme or die "$readme: $!\n";
    my (%doc, @names);
    while (my $line = <$fh>) {
        if ($line =~ /^#{2,4} (.*?)\s*$/) {
            my $heading = $1;
            @names = grep { /^OTP\w+$/ } split m{\s*/\s*}, $heading;
            @names = () unless $heading =~ /^OTP/;
            @names = grep { $_ ne $drop } @names;
            $doc{$_} = { heading => $heading, rows => {} } for @names;
            next;
        }
        if (@names && $line =~ /^\|\s*(Description|Syntax|Default|Context)\s*\|\s*(.*?)\s*\|\s*$/) {
            $doc{$_}{rows}{$1} = $2 for @names;
        }
    }
    return \%doc;
}

my $module_dirs = directives_of_module();
my $doc = documented_directives();
my @problems;

for my $name (sort keys %$module_dirs) {
    my $d = $doc->{$name};
    unless ($d) { push @problems, "$name: registered by the module but has no README section"; next }
    for my $row (qw(Description Syntax Default Context)) {
        push @problems, "$name: README section '$d->{heading}' has no $row row"
            unless defined $d->{rows}{$row} && length $d->{rows}{$row};
    }
    my $syntax = $d->{rows}{Syntax} // '';
    push @problems, "$name: the Syntax row does not show `$name ...`" unless $syntax =~ /`\Q$name\E\b/;
    my $context = $d->{rows}{Context} // '';
    my $allowed = $module_dirs->{$name}{allowed};
    my $in_dirs = $allowed !~ /only outside <Directory>/;
    my $in_htaccess = $allowed =~ /\.htaccess/;
    push @problems, "$name: httpd allows it in sections but the Context row says no 'directory'"
        if $in_dirs && $context !~ /directory/;
    push @problems, "$name: the Context row says 'directory' but httpd allows it only outside sections"
        if !$in_dirs && $context =~ /directory/;
    push @problems, "$name: httpd allows it in .htaccess but the Context row does not say so"
        if $in_htaccess && $context !~ /\.htaccess/;
    push @problems, "$name: the Context row says .htaccess but httpd does not allow it there"
        if !$in_htaccess && $context =~ /\.htaccess/;
}
for my $name (sort keys %$doc) {
    push @problems, "$name: documented in the README but the module has no such directive"
        unless $module_dirs->{$name};
}

my $count = keys %$module_dirs;
if (@problems) {
    print "directive docs: $_\n" for @problems;
    print "directive docs: ", scalar(@problems), " problems in $count directives\n";
    exit 1;
}
print "directive docs: all $count directives documented\n";
exit 0;
