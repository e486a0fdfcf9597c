global using CsCheck;
